"""The finance reports, computed in PostgreSQL from dated facts.

Every figure is defined in docs/metrics.md, with the rows it reads. The
reports are read on the lower floors' tables in one SQL statement each
(aggregates over every subscription of the tenant, never a Python loop over
them), because a tenant has up to 100,000 subscribers and a report spans
months: per month, the statement finds each subscription's status and plan
on that day from its history (``SubscriptionEvent``, applied ``PlanChange``
records, add-on and promotion dates), never from its current state, so a
report for a past month gives the same numbers whenever it is run.

Amounts are ``Decimal`` in the tenant's currency (the reporting currency,
the one its ``core.ExchangeRate`` rows are quoted in), each recurring item
converted at the latest rate on or before the day it is measured and rounded
to the currency's minor unit, as ``core.money.convert`` does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ispstack.billing.models import OPEN_STATUSES, InvoiceStatus
from ispstack.catalog.models import Plan
from ispstack.core import clock, tenant_settings
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import minor_unit
from ispstack.reports import mrr_facts, sql
from ispstack.reports.models import MarketingSpend, ReportSettings

ZERO = Decimal(0)
HUNDRED = Decimal(100)
#: Longest range of one report, in months: ten years of monthly rows.
MAX_MONTHS = 120
#: Aging buckets by days past the due date: (label, first day, last day or None).
AGING_BUCKETS = (("0-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def settings_for(tenant: Tenant) -> ReportSettings:
    """The report settings of ``tenant`` (created with the defaults if missing)."""
    return tenant_settings.settings_of(tenant, ReportSettings)


@dataclass(frozen=True)
class Filters:
    """What a report covers: the months ``start``..``end`` (first days of months,
    inclusive), the subscriptions on ``plan_id`` on the day measured (None: all)
    and the customers tagged ``tag`` (empty: all)."""

    start: dt.date
    end: dt.date
    plan_id: int | None = None
    tag: str = ""


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def months_before(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months before ``month``'s."""
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s to ``end``'s, inclusive."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def make_filters(
    tenant: Tenant,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    plan_id: int | None = None,
    tag: str = "",
) -> Filters:
    """Checked report filters; by default the last twelve months up to today's.

    Raises InvalidInput (field ``start``) when the range is reversed, starts in
    the future or spans more than ``MAX_MONTHS``, and (field ``plan``) for a
    plan filter naming no plan of the tenant: a filter's value is the
    request's input, so it is refused as such, not answered as a missing page.
    """
    today = clock.today(tenant)
    end = month_start(end or today)
    start = month_start(start or months_before(end, 11))
    end = min(end, month_start(today))
    if start > end:
        raise InvalidInput("must be a month on or before the end and today", field="start")
    if len(months_between(start, end)) > MAX_MONTHS:
        raise InvalidInput(f"the range may span at most {MAX_MONTHS} months", field="start")
    if plan_id is not None and not Plan.objects.filter(tenant=tenant, pk=plan_id).exists():
        raise InvalidInput("no plan of yours has this id", field="plan")
    return Filters(start=start, end=end, plan_id=plan_id, tag=tag.strip())


@dataclass(frozen=True)
class MrrMonth:
    """One month of MRR and its movements, in the tenant's currency.

    ``opening`` is the MRR at the end of the month before, ``closing`` at the
    end of ``month`` (or at ``as_of``, today, for the current month), and
    ``opening + new + expansion - contraction - churn + reactivation ==
    closing`` holds exactly. Customer counts are of paying customers
    (MRR above zero).
    """

    month: dt.date
    as_of: dt.date
    opening: Decimal
    new: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    reactivation: Decimal
    closing: Decimal
    customers_opening: int
    customers_closing: int
    new_customers: int
    reactivated_customers: int
    churned_customers: int

    @property
    def arr(self) -> Decimal:
        """Annual run rate: closing MRR x 12."""
        return self.closing * 12

    @property
    def arpu(self) -> Decimal | None:
        """Closing MRR per paying customer, unrounded; None without customers."""
        return self.closing / self.customers_closing if self.customers_closing else None

    @property
    def logo_churn_rate(self) -> Decimal | None:
        """Churned customers / paying customers at the opening, in percent."""
        if not self.customers_opening:
            return None
        return HUNDRED * self.churned_customers / self.customers_opening

    @property
    def revenue_churn_rate(self) -> Decimal | None:
        """Gross MRR churn: (churn + contraction) / opening MRR, in percent."""
        if not self.opening:
            return None
        return HUNDRED * (self.churn + self.contraction) / self.opening

    @property
    def net_revenue_churn_rate(self) -> Decimal | None:
        """(churn + contraction - expansion) / opening MRR, in percent; negative
        when upgrades outgrow the losses."""
        if not self.opening:
            return None
        return HUNDRED * (self.churn + self.contraction - self.expansion) / self.opening


_MISSING_RATE = (
    mrr_facts.ITEMS
    + """
SELECT currency, min(d) FROM items WHERE amount IS NULL GROUP BY currency ORDER BY 2, 1 LIMIT 1
"""
)

_BY_PLAN = (
    mrr_facts.FACTS
    + """
SELECT f.d, pl.id, pl.name, count(*), COALESCE(sum(f.amount), 0), bool_or(f.no_rate)
FROM facts f JOIN {plan} pl ON pl.id = f.plan_id
GROUP BY f.d, pl.id, pl.name ORDER BY f.d, pl.name, pl.id
"""
)


def _measured_on(tenant: Tenant, month: dt.date) -> dt.date:
    """The day a month's closing MRR is measured: its last day, or today for
    the current month (a later day would count what has not happened)."""
    return min(clock.month_end(month), clock.today(tenant))


def _params(tenant: Tenant, filters: Filters, points: Sequence[dt.date]) -> dict[str, Any]:
    """The parameters of the statements on facts, the days ``points`` stored first."""
    mrr_facts.store_days(tenant, points)
    return mrr_facts.items_params(tenant, points, plan_id=filters.plan_id, tag=filters.tag)


def _raise_missing_rate(tenant: Tenant, params: dict[str, Any]) -> None:
    rows = sql.fetch(_MISSING_RATE, params)
    currency, day = rows[0] if rows else ("?", params["points"][0])
    raise NotFound(f"no {currency} exchange rate on or before {day}", field="currency")


def mrr_movements(tenant: Tenant, filters: Filters) -> list[MrrMonth]:
    """MRR and its movements for each month of ``filters``, oldest first.

    Read from the stored months (``reports.mrr_facts``). Raises NotFound (field ``currency``)
    when an item's currency has no exchange rate on or before a day measured.
    """
    months = months_between(filters.start, filters.end)
    ends = [_measured_on(tenant, m) for m in months]
    rows = mrr_facts.month_rows(tenant, ends, plan_id=filters.plan_id, tag=filters.tag)
    if any(row[-1] for row in rows):
        chain = mrr_facts.chain_of(ends)
        _raise_missing_rate(
            tenant, mrr_facts.items_params(tenant, chain, plan_id=filters.plan_id, tag=filters.tag)
        )
    fields = mrr_facts.MONTH_FIELDS[:-1]
    return [
        MrrMonth(month=month, as_of=as_of, **dict(zip(fields, row[:-1], strict=True)))
        for month, as_of, row in zip(months, ends, rows, strict=True)
    ]


@dataclass(frozen=True)
class PlanMonth:
    """Subscriptions in service on ``plan`` at the end of ``month`` and their MRR."""

    month: dt.date
    plan_id: int
    plan: str
    subscriptions: int
    mrr: Decimal


def growth_by_plan(tenant: Tenant, filters: Filters) -> list[PlanMonth]:
    """Subscriptions in service per plan at each month's end (today for the
    current month), oldest month first, plans by name."""
    months = months_between(filters.start, filters.end)
    ends = {_measured_on(tenant, m): m for m in months}
    params = _params(tenant, filters, sorted(ends))
    rows = sql.fetch(_BY_PLAN, params)
    if any(row[5] for row in rows):
        _raise_missing_rate(tenant, params)
    return [PlanMonth(ends[row[0]], row[1], row[2], row[3], row[4]) for row in rows]


@dataclass(frozen=True)
class Summary:
    """Figures over a whole range: the average monthly logo churn rate (percent),
    ARPU at the end, CLTV (None without gross margin or churn) and CAC."""

    logo_churn_rate: Decimal | None
    arpu: Decimal | None
    gross_margin_percent: Decimal | None
    cltv: Decimal | None
    marketing_spend: Decimal
    new_customers: int
    cac: Decimal | None


def summary(tenant: Tenant, filters: Filters, months: Sequence[MrrMonth]) -> Summary:
    """CLTV = ARPU x gross margin / monthly logo churn rate, CAC = marketing
    spend / new customers, over ``months`` (the rows of ``mrr_movements``)."""
    opening = sum(m.customers_opening for m in months)
    churned = sum(m.churned_customers for m in months)
    churn = Decimal(churned) / opening if opening else None
    arpu = months[-1].arpu if months else None
    margin = settings_for(tenant).gross_margin_percent
    cltv = None
    if arpu is not None and margin is not None and churn:
        cltv = arpu * margin / HUNDRED / churn
    spend = MarketingSpend.objects.filter(
        tenant=tenant, month__gte=filters.start, month__lte=filters.end
    ).values_list("amount", flat=True)
    spent = sum(spend, ZERO)
    new = sum(m.new_customers for m in months)
    return Summary(
        logo_churn_rate=churn * HUNDRED if churn is not None else None,
        arpu=arpu,
        gross_margin_percent=margin,
        cltv=cltv,
        marketing_spend=spent,
        new_customers=new,
        cac=spent / new if new else None,
    )


@dataclass(frozen=True)
class AgingBucket:
    """Overdue invoices ``first``..``last`` days past their due date on the
    report's day, and what was still open on them, in the tenant's currency."""

    label: str
    first: int
    last: int | None
    invoices: int
    amount: Decimal


# What was open on each invoice on ``as_of``: its total less the allocations
# (payments and credit notes) made on or before that day in the tenant's
# calendar (before the next day's first instant); overdue when its due date
# is before that day. Only invoices that can have been open then are read:
# those open now, those given an allocation since, and those voided since.
# Any other is settled now by allocations all made by then (allocations
# are only added, or deleted with a reversal that reopens the invoice), so
# it was settled then too: at 100,000 subscribers with three years of
# invoices that is a few percent of them, not every invoice and allocation.
# One row per overdue invoice: ``id``,
# ``customer_id``, ``days`` past due, ``open_amount`` and ``currency``, and
# ``amount`` in the tenant's currency (NULL without an exchange rate).
AGING_SQL = """
WITH candidates AS (
    SELECT inv.id, inv.customer_id, inv.currency, inv.issue_date, inv.due_date, inv.total,
        inv.status, inv.voided_on
    FROM {invoice} inv
    WHERE inv.tenant_id = %(tenant)s AND (inv.status = ANY(%(open)s)
        OR (inv.status = %(void)s AND inv.voided_on > %(as_of)s))
    UNION
    SELECT inv.id, inv.customer_id, inv.currency, inv.issue_date, inv.due_date, inv.total,
        inv.status, inv.voided_on
    FROM {invoice} inv
    WHERE inv.tenant_id = %(tenant)s AND inv.id IN (
        SELECT a.invoice_id FROM {allocation} a
        WHERE a.tenant_id = %(tenant)s AND a.created_at >= %(day_after)s
    )
),
open_invoices AS (
    SELECT k.id, k.customer_id, k.currency, %(as_of)s::date - k.due_date AS days,
        k.total - COALESCE(paid.amount, 0) AS open_amount
    FROM candidates k
    CROSS JOIN LATERAL (
        SELECT sum(a.amount) AS amount FROM {allocation} a
        WHERE a.invoice_id = k.id AND a.created_at < %(day_after)s
    ) paid
    WHERE k.issue_date <= %(as_of)s AND k.due_date < %(as_of)s
      AND (k.status <> %(void)s OR k.voided_on > %(as_of)s)
      AND (%(tag)s::jsonb IS NULL OR EXISTS (
          SELECT 1 FROM {customer} c WHERE c.id = k.customer_id AND c.tags @> %(tag)s::jsonb
      ))
),
rates AS (
    SELECT DISTINCT ON (x.currency) x.currency, x.rate FROM {rate} x
    WHERE x.tenant_id = %(tenant)s AND x.day <= %(as_of)s
    ORDER BY x.currency, x.day DESC
)
SELECT o.id, o.customer_id, o.days, o.open_amount, o.currency,
    round(o.open_amount * CASE WHEN o.currency = %(currency)s THEN 1 ELSE r.rate END,
        %(minor)s) AS amount
FROM open_invoices o LEFT JOIN rates r ON r.currency = o.currency
WHERE o.open_amount > 0
"""

# The bucket of each invoice as one CASE, not a join to the bucket list: a
# join tests every invoice against every bucket (a third of the statement's time).
_AGING_BUCKET = "CASE {} END".format(
    " ".join(
        f"WHEN o.days >= {first}{f' AND o.days <= {last}' if last else ''} THEN '{label}'"
        for label, first, last in AGING_BUCKETS
    )
)

_AGING_TOTALS = f"""
SELECT b.label, count(*), COALESCE(sum(amount), 0), bool_or(amount IS NULL),
    min(currency) FILTER (WHERE amount IS NULL)
FROM (SELECT o.*, {_AGING_BUCKET} AS label FROM ({AGING_SQL}) o) b
WHERE b.label IS NOT NULL
GROUP BY b.label
"""


def aging(tenant: Tenant, *, as_of: dt.date, tag: str = "") -> list[AgingBucket]:
    """Overdue receivables on ``as_of`` in the buckets 0-30, 31-60, 61-90 and
    90+ days past the due date (docs/metrics.md), every bucket listed.

    Raises NotFound (field ``currency``) when an invoice's currency has no
    exchange rate on or before ``as_of``.
    """
    params = {
        "tenant": tenant.pk,
        "as_of": as_of,
        "day_after": clock.start_of_day(tenant, as_of + dt.timedelta(days=1)),
        "void": InvoiceStatus.VOID,
        "open": list(OPEN_STATUSES),
        "currency": tenant.currency,
        "minor": minor_unit(tenant.currency),
        "tag": json.dumps([tag.strip()]) if tag.strip() else None,
    }
    found = {row[0]: row for row in sql.fetch(_AGING_TOTALS, params)}
    for row in found.values():
        if row[3]:
            raise NotFound(f"no {row[4]} exchange rate on or before {as_of}", field="currency")
    return [
        AgingBucket(
            label=label,
            first=first,
            last=last,
            invoices=found[label][1] if label in found else 0,
            amount=found[label][2] if label in found else ZERO,
        )
        for label, first, last in AGING_BUCKETS
    ]
