"""Reads of plan change requests: the plans a customer may choose, the
effective date and price difference a request would have, a customer's
requests and the back office's queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from ispstack.billing.services import next_cycle_start
from ispstack.catalog.models import Plan
from ispstack.core import clock
from ispstack.core.display import tenant_money
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.portal.models import (
    OPEN_PLAN_CHANGE_STATES,
    PlanChangeRequest,
    PlanChangeState,
    PlanChangeTiming,
)
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.selectors import settings_for

QUEUE_SIZE = 200
HISTORY_SIZE = 10


@dataclass(frozen=True)
class PlanOption:
    """A plan the customer may move to, with the monthly price difference
    (net, currency units of ``currency``; > 0 costs more)."""

    plan: Plan
    difference: Decimal
    currency: str

    @property
    def is_upgrade(self) -> bool:
        """True when the plan costs more a month than the current one."""
        return self.difference > 0


def plans_for(subscription: Subscription) -> QuerySet[Plan]:
    """The plans ``subscription`` may move to: its tenant's, sold (active),
    in its plan's currency, not its current plan; cheapest first."""
    return (
        Plan.objects.filter(
            tenant_id=subscription.tenant_id,
            is_active=True,
            currency=subscription.plan.currency,
        )
        .exclude(pk=subscription.plan_id)
        .order_by("monthly_price", "name", "pk")
    )


def plan_options(subscription: Subscription) -> list[PlanOption]:
    """``plans_for`` with each plan's monthly price difference."""
    current = subscription.plan.monthly_price
    return [
        PlanOption(plan=plan, difference=plan.monthly_price - current, currency=plan.currency)
        for plan in plans_for(subscription)
    ]


def timings_for(tenant: Tenant) -> list[str]:
    """The timings a customer of ``tenant`` may choose: the next cycle, and
    now where the tenant allows it."""
    if settings_for(tenant).portal_plan_change_now:
        return [PlanChangeTiming.NEXT_CYCLE, PlanChangeTiming.NOW]
    return [PlanChangeTiming.NEXT_CYCLE]


def effective_date(subscription: Subscription, timing: str) -> dt.date:
    """The tenant-local first day on the new plan for ``timing``: today for
    ``now``, else the first day of the subscription's next billing period."""
    if timing == PlanChangeTiming.NOW:
        return clock.today(subscription.tenant)
    return next_cycle_start(subscription)


def signed_money(amount: Decimal, tenant: Tenant, currency: str) -> str:
    """A price difference with its sign and currency: ``+€10.00``, ``-€5.00``."""
    shown = tenant_money(amount, tenant, currency)
    return f"+{shown}" if amount > 0 else shown


def requests_of(customer: Customer) -> QuerySet[PlanChangeRequest]:
    """The customer's plan change requests, newest first, with their plans."""
    return (
        PlanChangeRequest.objects.filter(customer=customer, tenant_id=customer.tenant_id)
        .select_related("from_plan", "to_plan", "subscription")
        .order_by("-created_at", "-pk")
    )


def history(customer: Customer, subscription: Subscription) -> list[PlanChangeRequest]:
    """The customer's latest ``HISTORY_SIZE`` requests for ``subscription``, newest first."""
    return list(requests_of(customer).filter(subscription=subscription)[:HISTORY_SIZE])


def open_of(history: list[PlanChangeRequest]) -> PlanChangeRequest | None:
    """The submitted or approved request among a subscription's ``history``
    (newest first), if any. It is always the newest: a subscription holds
    one open request at a time, and none can be made while it is open."""
    if history and history[0].state in OPEN_PLAN_CHANGE_STATES:
        return history[0]
    return None


def latest_request(subscription: Subscription) -> PlanChangeRequest | None:
    """The subscription's newest request (any state), for the service page."""
    return (
        PlanChangeRequest.objects.filter(subscription=subscription)
        .select_related("from_plan", "to_plan")
        .order_by("-created_at", "-pk")
        .first()
    )


def queue(tenant: Tenant, state: str = "") -> QuerySet[PlanChangeRequest]:
    """The tenant's requests for the back office, oldest submitted first;
    ``state`` (one of ``PlanChangeState``) narrows them, others are ignored."""
    rows = PlanChangeRequest.objects.filter(tenant=tenant).select_related(
        "customer", "subscription", "from_plan", "to_plan", "requested_by", "decided_by"
    )
    if state in PlanChangeState.values:
        rows = rows.filter(state=state)
    return rows.order_by("created_at", "pk")
