from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console: the back office clerks and the NOC work in."""

    name = "ispstack.console"
    label = "console"
    verbose_name = "Staff console"

    def ready(self) -> None:
        from ispstack.console import exports  # noqa: F401  (registers the outbox handler)
