from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ispstack.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from ispstack.billing import jobs  # noqa: F401  (registers outbox handlers)
        from ispstack.billing.proration import on_plan_switched
        from ispstack.billing.state import on_subscription_changed
        from ispstack.core import events

        events.subscribe(events.SUBSCRIPTION_CHANGED, on_subscription_changed)
        events.subscribe(events.PLAN_SWITCHED, on_plan_switched)
