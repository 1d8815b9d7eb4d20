from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RadiusConfig(AppConfig):
    name = "ispstack.radius"
    label = "radius"
    verbose_name = "RADIUS"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.network.nas import NAS_TYPE_CHANGED
        from ispstack.radius import coa  # noqa: F401  (registers outbox handlers)
        from ispstack.radius.services import (
            on_nas_type_changed,
            on_plan_changed,
            on_subscription_changed,
        )

        events.subscribe(events.SUBSCRIPTION_CHANGED, on_subscription_changed)
        events.subscribe(events.PLAN_CHANGED, on_plan_changed)
        events.subscribe(NAS_TYPE_CHANGED, on_nas_type_changed)
        post_migrate.connect(_regroup_after_migrate, sender=self)


def _regroup_after_migrate(using: str = "default", **_: Any) -> None:
    from ispstack.radius.services import sync_tenants_missing_groups

    sync_tenants_missing_groups(using)
