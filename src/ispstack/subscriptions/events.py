"""Events of subscriptions (see ``core.events``).

``SubscriptionChanged`` is the family of every change to a subscription;
billing keeps its state row on all of them, radius rewrites its rows on the
lifecycle and access ones. ``effective`` is the tenant-local date the change
takes effect (a suspension's first day, a reconnection's first day back, a
plan change's first day on the new plan).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscriptionChanged(Event):
    """Family: anything that changed a subscription."""

    subscription_id: int
    effective: dt.date


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscriptionCreated(SubscriptionChanged):
    """A new subscription, pending; ``effective`` is its start date."""

    name = "subscription.created"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscriptionActivated(SubscriptionChanged):
    """Pending to active; ``effective`` is the start date, where billing begins."""

    name = "subscription.activated"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscriptionSuspended(SubscriptionChanged):
    """Active to suspended; ``cause`` is the subscription's suspension cause."""

    name = "subscription.suspended"
    cause: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscriptionReconnected(SubscriptionChanged):
    """Suspended to active again."""

    name = "subscription.reconnected"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscriptionTerminated(SubscriptionChanged):
    """Terminated; ``effective`` is the day the termination was recorded for."""

    name = "subscription.terminated"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordChanged(SubscriptionChanged):
    """A new PPPoE password (the event does not carry it)."""

    name = "subscription.password_changed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccessChanged(SubscriptionChanged):
    """A new NAS or IPv6 prefixes."""

    name = "subscription.access_changed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanSwitched(SubscriptionChanged):
    """Moved from ``old_plan_id`` to ``new_plan_id`` on ``effective``."""

    name = "subscription.plan_switched"
    old_plan_id: int
    new_plan_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScheduledPlanChangesCancelled(Event):
    """Plan changes still waiting for their date were cancelled
    (``plan_change_ids``), replaced by a newer schedule. Not a change of the
    subscription itself: it keeps its plan."""

    name = "subscription.scheduled_plan_changes_cancelled"
    subscription_id: int
    plan_change_ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AddOnAttached(SubscriptionChanged):
    """An add-on starting on ``effective``."""

    name = "subscription.addon_attached"
    subscription_addon_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class AddOnDetached(SubscriptionChanged):
    """An add-on whose last day is ``effective``."""

    name = "subscription.addon_detached"
    subscription_addon_id: int
