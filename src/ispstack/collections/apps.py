from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "ispstack.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from ispstack.collections import (
            dunning,
            jobs,  # noqa: F401  (registers outbox handlers)
        )
        from ispstack.collections.services import on_balance_reduced
        from ispstack.core import events

        events.subscribe(events.BALANCE_REDUCED, on_balance_reduced)
        events.subscribe(events.BALANCE_REDUCED, dunning.on_balance_reduced)
