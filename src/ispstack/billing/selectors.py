"""Reads of billing shared by views, the API, the console and other apps:
the tenant's billing settings, overdue invoices by age, the last run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from ispstack.billing.models import OPEN_STATUSES, BillingRun, BillingSettings, Invoice
from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, round_money

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
