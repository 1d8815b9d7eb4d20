from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "ispstack.usage"
    label = "usage"
    verbose_name = "Usage"

    def ready(self) -> None:
        from ispstack.radius.retention import register_reader
        from ispstack.usage import caps  # noqa: F401  (registers outbox handlers)
        from ispstack.usage.services import hold_archive

        register_reader(hold_archive)
