from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "ispstack.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        from ispstack.core import tenant_settings
        from ispstack.provisioning import jobs  # noqa: F401  (registers outbox handlers)
        from ispstack.provisioning.models import ProvisioningSettings

        tenant_settings.register(ProvisioningSettings)
