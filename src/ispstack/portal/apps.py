from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ispstack.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Registers the outbox handlers of the invitation and reset emails.
        from ispstack.portal import services  # noqa: F401
