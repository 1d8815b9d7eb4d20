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

        from ispstack.core import events
        from ispstack.provisioning.orders import on_installation_completed
        from ispstack.tickets.field.events import InstallationCompleted

        # A completed installation visit lets its service order go on.
        events.subscribe(InstallationCompleted, on_installation_completed, in_transaction=False)
