from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ispstack.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Registers the outbox handlers of the invitation, reset and plan
        # change emails.
        from ispstack.core import events
        from ispstack.portal import services  # noqa: F401
        from ispstack.portal.plan_changes import services as plan_changes
        from ispstack.subscriptions import events as sub_events

        # In the transaction: an approved request is applied with the plan
        # change billing applies (after billing's and RADIUS's handlers).
        events.subscribe(
            sub_events.PlanSwitched, plan_changes.on_plan_switched, in_transaction=True, order=20
        )
