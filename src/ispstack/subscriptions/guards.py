"""Guards: checks a higher floor adds to a subscription's plan change before
it is made.

Events (``subscriptions.events``) announce a change once it is made; an
in-transaction handler can still roll it back by raising, but a scheduled
plan change publishes nothing until the billing run applies it, weeks
later, where a refusal would stop the run instead of answering the person
who asked. A guard answers at once, for every caller (console, API, portal
approvals, the billing run's scheduled changes): ``apply_plan`` and
``schedule_plan`` call ``check_plan_change`` before they write anything.

A guard is registered in its app's ``AppConfig.ready`` (sales refuses a
plan change its contract forbids) and raises a ``core.errors.ServiceError``
naming the field (``plan``) to refuse; subscriptions never imports the
floors that register them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ispstack.catalog.models import Plan
    from ispstack.subscriptions.models import Subscription

#: ``guard(subscription, new_plan, effective)``: returns to allow, raises to refuse.
PlanChangeGuard = Callable[["Subscription", "Plan", dt.date], None]

_plan_change_guards: dict[str, PlanChangeGuard] = {}


def register_plan_change_guard(guard: PlanChangeGuard) -> None:
    """Add ``guard`` to every plan change (idempotent: keyed by its dotted name)."""
    _plan_change_guards[f"{guard.__module__}.{guard.__qualname__}"] = guard


def check_plan_change(subscription: Subscription, plan: Plan, effective: dt.date) -> None:
    """Run every registered guard on moving ``subscription`` to ``plan`` from
    ``effective`` (a local date), in the order of their dotted names. Raises
    what a guard raises."""
    for _name, guard in sorted(_plan_change_guards.items()):
        guard(subscription, plan, effective)
