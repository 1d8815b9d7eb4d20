from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "ispstack.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        from ispstack.sales import jobs  # noqa: F401  (registers outbox handlers)
