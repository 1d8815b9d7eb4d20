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
        from ispstack.collections.services import on_allocation_applied
        from ispstack.core import events
        from ispstack.payments.events import AllocationApplied

        # After commit: a reconnection is a change of its own (its RADIUS rows,
        # its Disconnect), retried on its own, and never holds up the payment.
        # The two handlers are independent of each other.
        events.subscribe(AllocationApplied, on_allocation_applied, in_transaction=False)
        events.subscribe(AllocationApplied, dunning.on_allocation_applied, in_transaction=False)
