from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "ispstack.usage"
    label = "usage"
    verbose_name = "Usage"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.radius.retention import ARCHIVING
        from ispstack.usage import caps  # noqa: F401  (registers outbox handlers)
        from ispstack.usage.services import hold_archive

        events.subscribe(ARCHIVING, hold_archive)
