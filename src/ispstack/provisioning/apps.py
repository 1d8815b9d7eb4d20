from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "ispstack.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        from ispstack.provisioning import jobs  # noqa: F401  (registers outbox handlers)
