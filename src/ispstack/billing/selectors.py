"""Reads of billing shared by views, the API, the console and other apps:
the tenant's billing settings, overdue invoices by age, the last run, and
what a customer's next invoice will roughly be."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from ispstack.billing.models import (
    OPEN_STATUSES,
    BillingRun,
    BillingSettings,
    Charge,
    Invoice,
    SubscriptionBilling,
)
from ispstack.billing.periods import ADVANCE, ONE_DAY, period_starting
from ispstack.catalog.models import Plan, TaxRate
from ispstack.core import clock, json_rows, prepared, tenant_settings
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, round_money
from ispstack.customers.models import Customer
from ispstack.network.models import IPAddress, Nas
from ispstack.subscriptions.models import Subscription, SubscriptionStatus

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
"""Overdue ages in days past the due date (due on the 1st, the 2nd is day 1):
the bucket's key, its first and last day (None: no end)."""


@dataclass
class OverdueBucket:
    """Open invoices ``days_from``..``days_to`` days past due: how many, and
    what is still owed on them per currency (rounded to its minor unit)."""

    key: str
    days_from: int
    days_to: int | None
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Overdue:
    """Every overdue invoice: total count, owed per currency, and the age buckets."""

    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)
    buckets: list[OverdueBucket] = field(default_factory=list)


def overdue(invoices: QuerySet[Invoice], today: dt.date) -> Overdue:
    """Open invoices among ``invoices`` (already scoped to the reader) whose due
    date is before ``today``, by age bucket (``AGE_BUCKETS``); one query.

    The owed amount is the invoice's ``amount_due`` (total less paid and credited).
    """
    due = ExpressionWrapper(
        F("total") - F("amount_paid") - F("amount_credited"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    aggregates: dict[str, Any] = {}
    for key, first, last in AGE_BUCKETS:
        # ``today - due_date >= first`` is ``due_date <= today - first``.
        condition = Q(due_date__lte=today - dt.timedelta(days=first))
        if last is not None:
            condition &= Q(due_date__gte=today - dt.timedelta(days=last))
        aggregates[f"n_{key}"] = Count("id", filter=condition)
        aggregates[f"a_{key}"] = Sum(due, filter=condition)
    rows = (
        invoices.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        .values("currency")
        .annotate(**aggregates)
        .order_by("currency")
    )
    result = Overdue(buckets=[OverdueBucket(key, first, last) for key, first, last in AGE_BUCKETS])
    row: dict[str, Any]
    for row in rows:  # type: ignore[assignment]  # keys built in the loop above
        code = row["currency"]
        for bucket in result.buckets:
            n = row[f"n_{bucket.key}"]
            if not n:
                continue
            amount = round_money(row[f"a_{bucket.key}"] or ZERO, code)
            bucket.count += n
            bucket.amounts[code] = amount
            result.count += n
            result.amounts[code] = result.amounts.get(code, ZERO) + amount
    return result


def last_billing_run(runs: QuerySet[BillingRun]) -> BillingRun | None:
    """The most recently started of ``runs`` (already scoped), or None."""
    return runs.order_by("-created_at", "-id").first()


def settings_for(tenant: Tenant) -> BillingSettings:
    """The billing settings of ``tenant`` (one row per tenant, created with the defaults
    if missing); cached on the tenant instance, so reading it for every
    invoice of a run costs one query."""
    return tenant_settings.settings_of(tenant, BillingSettings)


HUNDRED = Decimal(100)
#: The charges waiting for the next invoice, as ``next_invoice`` reads them
#: (subscription id, amount, tax rate in percent), for a page that reads
#: them with its other figures: its parameter is the subscription ids.
UNINVOICED_CHARGES_SQL = (
    f"SELECT subscription_id, amount, tax_rate FROM {Charge._meta.db_table}"
    " WHERE invoice_id IS NULL AND subscription_id = ANY(%s)"
)


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


def estimate_list_sql(with_nas: bool, customer: str = "%s", tenant: str = "%s") -> str:
    """A subquery answering, as JSON text for ``estimate_rows``, the
    subscriptions of the customer whose id is ``customer`` in the tenant
    ``tenant`` (placeholders, or columns of an outer query) with plan, tax
    rate, billing state, IP address (and NAS when ``with_nas``), in id
    order."""
    row = json_rows.whole_row
    nas = f", {row('n', Nas)}" if with_nas else ""
    nas_join = f" LEFT JOIN {Nas._meta.db_table} n ON n.id = s.nas_id" if with_nas else ""
    return (
        "(SELECT COALESCE(json_agg(json_build_array("
        f"{row('s', Subscription)}, {row('p', Plan)}, {row('t', TaxRate)},"
        f" {row('b', SubscriptionBilling)}, {row('a', IPAddress)}{nas}) ORDER BY s.id),"
        " '[]')::text"
        f" FROM {Subscription._meta.db_table} s"
        f" JOIN {Plan._meta.db_table} p ON p.id = s.plan_id"
        f" JOIN {TaxRate._meta.db_table} t ON t.id = p.tax_rate_id"
        f" LEFT JOIN {SubscriptionBilling._meta.db_table} b ON b.subscription_id = s.id"
        f" LEFT JOIN {IPAddress._meta.db_table} a ON a.id = s.ip_address_id{nas_join}"
        f" WHERE s.customer_id = {customer} AND s.tenant_id = {tenant})"
    )


def estimate_rows(text: str | None, *, with_nas: bool = False) -> list[Subscription]:
    """The subscriptions ``estimate_list_sql`` answered, each with its
    related rows cached as ``select_related`` caches them."""
    subs = []
    for rows in json_rows.loads(text):
        sub = json_rows.instance(Subscription, rows[0])
        plan = json_rows.instance(Plan, rows[1])
        json_rows.attach(plan, "tax_rate", json_rows.instance(TaxRate, rows[2]))
        json_rows.attach(sub, "plan", plan)
        for relation, model, found in (
            ("billing_state", SubscriptionBilling, rows[3]),
            ("ip_address", IPAddress, rows[4]),
            *((("nas", Nas, rows[5]),) if with_nas else ()),
        ):
            json_rows.attach(sub, relation, json_rows.instance(model, found) if found else None)
        subs.append(sub)
    return subs


def estimate_list(customer: Customer) -> list[Subscription]:
    """``estimate_queryset(customer)`` with each subscription's IP address,
    in id order, in 1 prepared statement (``core.prepared``): the portal
    dashboard's first read, where compiling the query cost more than running
    it (the Customer 360 reads them inside its own statement)."""
    with prepared.cursor() as cursor:
        cursor.execute(f"SELECT {estimate_list_sql(False)}", [customer.pk, customer.tenant_id])
        (text,) = cursor.fetchone()
    return estimate_rows(text)


def next_invoice(
    customer: Customer,
    today: dt.date | None = None,
    subscriptions: list[Subscription] | None = None,
    charges: list[tuple[int, Decimal, Decimal]] | None = None,
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
    ``charges``: the uninvoiced one-time charges of the customer's active
    subscriptions as ``(subscription id, amount, tax rate in percent)``
    (a page that reads them with its other figures in one statement passes
    them to save the query; those of subscriptions not due that day are
    left out here); read here when None.
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
    waiting: Iterable[tuple[Decimal, Decimal]]
    if charges is None:
        waiting = Charge.objects.filter(
            subscription_id__in=[s.pk for s in due], invoice__isnull=True
        ).values_list("amount", "tax_rate")
    else:
        due_ids = {s.pk for s in due}
        waiting = [(amount, rate) for sub_id, amount, rate in charges if sub_id in due_ids]
    total = ZERO
    for sub in due:
        plan = sub.plan
        rate = ZERO if customer.tax_exempt else plan.tax_rate.rate
        net = plan.monthly_price * plan.cycle_months
        total += net + net * rate / HUNDRED
    for amount, charge_rate in waiting:
        total += amount + amount * (ZERO if customer.tax_exempt else charge_rate) / HUNDRED
    return NextInvoice(
        date=day, amount=round_money(total, customer.currency), currency=customer.currency
    )
