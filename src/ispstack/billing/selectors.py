"""Reads on billing for people: what a customer's next invoice will roughly be."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from ispstack.billing.models import Charge, SubscriptionBilling
from ispstack.billing.periods import ADVANCE, ONE_DAY, period_starting
from ispstack.core import clock
from ispstack.core.money import ZERO, round_money
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription, SubscriptionStatus

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class NextInvoice:
    """An estimate of the customer's next invoice: the date a billing run will
    issue it and its total with tax, in ``currency`` (rounded to its minor unit)."""

    date: dt.date
    amount: Decimal
    currency: str


def _next_bill_date(
    sub: Subscription, state: SubscriptionBilling | None, today: dt.date
) -> dt.date:
    if state is not None and state.next_bill_date is not None:
        return max(state.next_bill_date, today)
    # Never billed yet: the first period starts at the later of today and the start date.
    first = max(sub.start_date, today)
    if sub.plan.billing_timing == ADVANCE:
        return first
    return period_starting(first, sub.billing_day, sub.plan.cycle_months).end + ONE_DAY


def estimate_queryset(customer: Customer) -> QuerySet[Subscription]:
    """The customer's subscriptions with what ``next_invoice`` reads of them:
    plan, tax rate and billing state (one query)."""
    return Subscription.objects.filter(customer=customer).select_related(
        "plan__tax_rate", "billing_state"
    )


def next_invoice(
    customer: Customer,
    today: dt.date | None = None,
    subscriptions: list[Subscription] | None = None,
) -> NextInvoice | None:
    """The customer's next invoice as the billing run would issue it, estimated:
    the earliest next bill date of its active subscriptions, and for each
    subscription due that day one full period of its plan (monthly price x
    cycle months) with the plan's tax rate, plus the one-time charges waiting
    to be invoiced with theirs (one query) (no tax for a tax-exempt customer). Add-ons,
    promotions and proration are left out: it is what a clerk quotes on the
    phone.

    ``subscriptions``: the customer's, read with ``estimate_queryset`` (a page
    that lists them passes them to save the query); read here when None.
    Returns None when no subscription is active.
    """
    today = today or clock.today(customer.tenant)
    if subscriptions is None:
        subscriptions = list(estimate_queryset(customer))
    subs = [s for s in subscriptions if s.status == SubscriptionStatus.ACTIVE]
    if not subs:
        return None
    dates = {}
    for sub in subs:
        state = getattr(sub, "billing_state", None)
        dates[sub.pk] = _next_bill_date(sub, state, today)
    day = min(dates.values())
    due = [sub for sub in subs if dates[sub.pk] == day]
    charges = Charge.objects.filter(
        subscription_id__in=[s.pk for s in due], invoice__isnull=True
    ).values_list("amount", "tax_rate")
    total = ZERO
    for sub in due:
        plan = sub.plan
        rate = ZERO if customer.tax_exempt else plan.tax_rate.rate
        net = plan.monthly_price * plan.cycle_months
        total += net + net * rate / HUNDRED
    for amount, charge_rate in charges:
        total += amount + amount * (ZERO if customer.tax_exempt else charge_rate) / HUNDRED
    return NextInvoice(
        date=day, amount=round_money(total, customer.currency), currency=customer.currency
    )
