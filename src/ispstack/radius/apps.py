from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RadiusConfig(AppConfig):
    name = "ispstack.radius"
    label = "radius"
    verbose_name = "RADIUS"

    def ready(self) -> None:
        from ispstack.catalog.events import PlanChanged
        from ispstack.core import events, tenant_settings
        from ispstack.network.events import NasTypeChanged
        from ispstack.radius import coa  # noqa: F401  (registers outbox handlers)
        from ispstack.radius.models import RadiusSettings
        from ispstack.radius.services import (
            SYNC_ON,
            on_nas_type_changed,
            on_plan_changed,
            on_subscription_changed,
        )

        tenant_settings.register(RadiusSettings)

        # In the transaction: FreeRADIUS never sees a subscription or plan
        # without its rows; the NAS is told after commit through the outbox.
        for event_type in SYNC_ON:
            events.subscribe(event_type, on_subscription_changed, in_transaction=True)
        events.subscribe(PlanChanged, on_plan_changed, in_transaction=True)
        events.subscribe(NasTypeChanged, on_nas_type_changed, in_transaction=True)
        post_migrate.connect(_regroup_after_migrate, sender=self)


def _regroup_after_migrate(using: str = "default", **_: Any) -> None:
    from ispstack.radius.services import sync_tenants_missing_groups

    sync_tenants_missing_groups(using)
