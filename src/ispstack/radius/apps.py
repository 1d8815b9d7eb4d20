from django.apps import AppConfig


class RadiusConfig(AppConfig):
    name = "ispstack.radius"
    label = "radius"
    verbose_name = "RADIUS"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.radius import coa  # noqa: F401  (registers outbox handlers)
        from ispstack.radius.services import on_plan_changed, on_subscription_changed

        events.subscribe(events.SUBSCRIPTION_CHANGED, on_subscription_changed)
        events.subscribe(events.PLAN_CHANGED, on_plan_changed)
