"""Reads of the revenue schedule: revenue per month, the deferred revenue
balance on a date, and the schedule of one invoice line.

All amounts are Decimal in the currency units of the invoices they come
from, one figure per currency (a tenant may invoice in several); they are
sums of rounded schedule rows, so they add up to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from ispstack.accounting import periods
from ispstack.accounting.models import RevenueScheduleEntry
from ispstack.billing.models import InvoiceLine
from ispstack.core import clock, inputs
from ispstack.core.clock import month_end
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import Tenant

ZERO = Decimal(0)
#: Longest range of one read, in months: ten years.
MAX_MONTHS = 120


@dataclass(frozen=True)
class DeferredBalance:
    """The contract balances of one currency at the end of ``day``.

    ``invoiced``: net of every invoice line and credit note (and void)
    dated on or before ``day``; ``recognised``: what of it is recognised
    through ``day``; ``deferred`` = invoiced - recognised, the contract
    liability (ASC 606-10-45-2 / IFRS 15.106); ``unbilled``: revenue
    recognised through ``day`` of documents dated after it, the contract
    asset of service delivered before it was invoiced.
    """

    currency: str
    invoiced: Decimal
    recognised: Decimal
    deferred: Decimal
    unbilled: Decimal


def deferred_balance(tenant: Tenant, day: Any) -> list[DeferredBalance]:
    """The balances per currency at the end of ``day`` (a local date), from
    the schedule written so far. Raises InvalidInput (field ``date``)."""
    on = inputs.day(day, "date")
    rows = (
        RevenueScheduleEntry.objects.for_tenant(tenant)
        .values("currency")
        .annotate(
            invoiced=Sum("amount", filter=Q(document_date__lte=on), default=ZERO),
            recognised=Sum(
                "amount", filter=Q(document_date__lte=on, recognised_on__lte=on), default=ZERO
            ),
            unbilled=Sum(
                "amount", filter=Q(document_date__gt=on, recognised_on__lte=on), default=ZERO
            ),
        )
        .order_by("currency")
    )
    return [
        DeferredBalance(
            currency=r["currency"],
            invoiced=r["invoiced"],
            recognised=r["recognised"],
            deferred=r["invoiced"] - r["recognised"],
            unbilled=r["unbilled"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class MonthRevenue:
    """Revenue recognised in one month and currency, and what was deferred at
    its end. ``by_kind`` is {obligation's line kind: amount}, a discount
    counted in the kind of the service it is allocated to; ``by_service``
    {subscription's connection type (``ftth``, ``wireless``...; empty: none
    or no subscription): amount}."""

    month: dt.date
    currency: str
    recognised: Decimal
    deferred_end: Decimal
    by_kind: dict[str, Decimal]
    closed: bool
    by_service: dict[str, Decimal] = field(default_factory=dict)


_SERVICES_SQL = """
SELECT e.month, e.currency, coalesce(s.connection_type, ''), sum(e.amount)
FROM accounting_revenuescheduleentry e
JOIN billing_invoiceline ob ON ob.id = e.obligation_id
LEFT JOIN subscriptions_subscription s ON s.id = ob.subscription_id
WHERE e.tenant_id = %(tenant)s AND e.month BETWEEN %(start)s AND %(end)s
GROUP BY 1, 2, 3
"""

_MONTHS_SQL = """
WITH ends AS (
    SELECT m::date AS month, (m + interval '1 month - 1 day')::date AS last_day
    FROM generate_series(%(start)s::timestamp, %(end)s::timestamp, interval '1 month') AS m
),
pairs AS (
    SELECT currency, document_date, recognised_on, sum(amount) AS amount
    FROM accounting_revenuescheduleentry
    WHERE tenant_id = %(tenant)s AND document_date <= %(last_day)s AND recognised_on > %(start)s
    GROUP BY currency, document_date, recognised_on
)
SELECT e.month, p.currency, sum(p.amount)
FROM ends e JOIN pairs p ON p.document_date <= e.last_day AND p.recognised_on > e.last_day
GROUP BY e.month, p.currency
"""


def months(tenant: Tenant, start: Any, end: Any) -> list[MonthRevenue]:
    """Revenue per month and currency for the months ``start``..``end`` (any
    days in them, local dates), oldest first; a month with no schedule row
    is left out. Raises InvalidInput (fields ``start``, ``end``) on bad or
    reversed dates or a range over ``MAX_MONTHS``."""
    first = inputs.day(start, "start").replace(day=1)
    last = inputs.day(end, "end").replace(day=1)
    if last < first:
        raise InvalidInput("the end is before the start", field="end")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months at once", field="end")
    kinds: dict[tuple[dt.date, str], dict[str, Decimal]] = {}
    for row in (
        RevenueScheduleEntry.objects.for_tenant(tenant)
        .filter(month__gte=first, month__lte=last)
        .values_list("month", "currency", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        kinds.setdefault((row[0], row[1]), {})[row[2]] = row[3]
    with connection.cursor() as cursor:
        cursor.execute(
            _MONTHS_SQL,
            {"tenant": tenant.pk, "start": first, "end": last, "last_day": month_end(last)},
        )
        deferred = {(m, c): amount for m, c, amount in cursor.fetchall()}
        cursor.execute(_SERVICES_SQL, {"tenant": tenant.pk, "start": first, "end": last})
        services: dict[tuple[dt.date, str], dict[str, Decimal]] = {}
        for m, c, service, amount in cursor.fetchall():
            services.setdefault((m, c), {})[service] = amount
    closed_through = periods.last_closed_month(tenant)
    keys = sorted(set(kinds) | set(deferred))
    return [
        MonthRevenue(
            month=m,
            currency=c,
            recognised=sum(kinds.get((m, c), {}).values(), ZERO),
            deferred_end=deferred.get((m, c), ZERO),
            by_kind=dict(sorted(kinds.get((m, c), {}).items())),
            closed=closed_through is not None and m <= closed_through,
            by_service=dict(sorted(services.get((m, c), {}).items())),
        )
        for m, c in keys
    ]


def recent_months(tenant: Tenant, count: int = 12) -> list[MonthRevenue]:
    """``months`` for the ``count`` months up to the tenant's current one."""
    this = clock.today(tenant).replace(day=1)
    return months(tenant, clock.add_months(this, 1 - count), month_end(this))


def line_schedule(tenant: Tenant, line_id: Any) -> list[RevenueScheduleEntry]:
    """Every schedule row of invoice line ``line_id``: its own, its credits'
    and its void's, by month. Raises NotFound (field ``line``) for a line
    that is not the tenant's."""
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        raise NotFound("no such invoice line", field="line") from None
    if not InvoiceLine.objects.for_tenant(tenant).filter(pk=pk).exists():
        raise NotFound("no such invoice line", field="line")
    return list(
        RevenueScheduleEntry.objects.for_tenant(tenant)
        .filter(invoice_line_id=pk)
        .order_by("month", "source", "obligation_id", "id")
    )
