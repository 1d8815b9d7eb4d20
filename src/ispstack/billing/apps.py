from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ispstack.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from ispstack.billing import (
            jobs,  # noqa: F401  (registers outbox handlers)
            state,
        )
        from ispstack.billing.models import BillingSettings
        from ispstack.core import events, tenant_settings
        from ispstack.subscriptions import events as sub_events

        tenant_settings.register(BillingSettings)

        # In the transaction: the billing state and proration commit with the
        # change. keep_state first, the proration handlers read its row.
        events.subscribe(sub_events.SubscriptionChanged, state.keep_state, in_transaction=True)
        events.subscribe(
            sub_events.SubscriptionReconnected, state.on_reconnected, in_transaction=True, order=10
        )
        events.subscribe(
            sub_events.SubscriptionTerminated, state.on_terminated, in_transaction=True, order=10
        )
        events.subscribe(
            sub_events.PlanSwitched, state.on_plan_switched, in_transaction=True, order=10
        )
        events.subscribe(
            sub_events.AddOnAttached, state.on_addon_attached, in_transaction=True, order=10
        )
        events.subscribe(
            sub_events.AddOnDetached, state.on_addon_detached, in_transaction=True, order=10
        )
