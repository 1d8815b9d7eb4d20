from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "ispstack.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from ispstack.collections import jobs  # noqa: F401  (registers outbox handlers)
        from ispstack.collections.services import on_payment_recorded
        from ispstack.core import events

        events.subscribe(events.PAYMENT_RECORDED, on_payment_recorded)
