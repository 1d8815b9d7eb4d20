from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "ispstack.usage"
    label = "usage"
    verbose_name = "Usage"

    def ready(self) -> None:
        from ispstack.usage import caps  # noqa: F401  (registers outbox handlers)
