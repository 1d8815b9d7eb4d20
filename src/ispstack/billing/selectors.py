"""Reads on billing for people: what a customer's next invoice will roughly be."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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


def _next_bill_date(sub: Subscription, state: SubscriptionBilling | None, today: dt.date) -> dt.date:
    if state is not None and state.next_bill_date is not None:
        return max(state.next_bill_date, today)
    # Never billed yet: the first period starts at the later of today and the start date.
    first = max(sub.start_date, today)
    if sub.plan.billing_timing == ADVANCE:
        return first
    return period_starting(first, sub.billing_day, sub.plan.cycle_months).end + ONE_DAY


def next_invoice(customer: Customer, today: dt.date | None = None) -> NextInvoice | None:
    """The customer's next invoice as the billing run would issue it, estimated:
    the earliest next bill date of its active subscriptions, and for each
    subscription due that day one full period of its plan (monthly price x
    cycle months) plus the one-time charges waiting to be invoiced, with the
    plan's tax rate (none for a tax-exempt customer). Add-ons, promotions and
    proration are left out: the estimate is what a clerk quotes on the phone.

    None when no subscription is active. Three queries whatever the number of
    subscriptions (subscriptions with plan, tax rate and billing state;
    pending charges).
    """
    today = today or clock.today(customer.tenant)
    subs = list(
        Subscription.objects.filter(customer=customer, status=SubscriptionStatus.ACTIVE)
        .select_related("plan__tax_rate", "billing_state")
        .order_by("pk")
    )
    if not subs:
        return None
    dates = {}
    for sub in subs:
        state = getattr(sub, "billing_state", None)
        dates[sub.pk] = _next_bill_date(sub, state, today)
    day = min(dates.values())
    due = [sub for sub in subs if dates[sub.pk] == day]
    charges = Charge.objects.filter(
        subscription__in=[s.pk for s in due], invoice__isnull=True, charge_date__lte=day
    ).values_list("amount", "tax_rate")
    total = ZERO
    for sub in due:
        plan = sub.plan
        rate = ZERO if customer.tax_exempt else plan.tax_rate.rate
        net = plan.monthly_price * plan.cycle_months
        total += net + net * rate / HUNDRED
    for amount, rate in charges:
        total += amount + amount * (ZERO if customer.tax_exempt else rate) / HUNDRED
    return NextInvoice(
        date=day, amount=round_money(total, customer.currency), currency=customer.currency
    )
