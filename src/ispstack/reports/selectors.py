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

from ispstack.billing.models import InvoiceStatus
from ispstack.catalog.models import Plan
from ispstack.core import clock, tenant_settings
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import minor_unit
from ispstack.reports import sql
from ispstack.reports.models import MarketingSpend, ReportSettings
from ispstack.subscriptions.models import (
    SubscriptionStatus,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
#: Longest range of one report, in months: ten years of monthly rows.
MAX_MONTHS = 120
#: Statuses whose subscription counts in MRR: a suspended contract still runs
#: (its debt is being collected); it leaves MRR when it is terminated.
IN_SERVICE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
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


# Which subscriptions were in service on each day ``d`` of ``points``, and on
# which plan. Each subscription's history becomes spans first, one pass over
# its events and plan changes (window functions), then the days are joined to
# the spans: no per-row subquery, so the cost grows with the rows, not with
# rows x days x lookups. A status span runs from an event's day (a
# termination's date is the last day of service, so from the day after) to
# the next event's; events of one day apply in the order they were recorded.
# A plan span runs from an applied change's effective date to the next one's;
# before the first change the subscription was on that change's from_plan,
# without changes on its plan. Prices come from the catalogue's price history
# (a price row holds from its date to the next one's, the first one also
# before it; a product without history has its current price), resolved once
# per product and day with the day's exchange rate, so each subscription
# joins them on equality. Then one row per recurring item: the plan less its
# promotions (a percentage of the plan's price, or a fixed amount per cycle
# spread over the cycle's months) and bundle discounts, never below zero,
# and each add-on less its bundle discounts, in the tenant's currency.
_ITEMS = (
    """
WITH points AS (SELECT unnest(%(points)s::date[]) AS d),
status_spans AS (
    SELECT e.subscription_id, e.to_status,
        e.effective_date + (e.to_status = 'terminated')::int AS starts,
        lead(e.effective_date + (e.to_status = 'terminated')::int) OVER (
            PARTITION BY e.subscription_id
            ORDER BY e.effective_date + (e.to_status = 'terminated')::int, e.id
        ) AS ends
    FROM {event} e WHERE e.tenant_id = %(tenant)s
),"""
    + sql.PLAN_SPANS
    + """,
rates AS (
    SELECT p.d, c.currency, (
        SELECT x.rate FROM {rate} x
        WHERE x.tenant_id = %(tenant)s AND x.currency = c.currency AND x.day <= p.d
        ORDER BY x.day DESC LIMIT 1
    ) AS rate
    FROM points p
    CROSS JOIN (SELECT DISTINCT currency FROM {rate} WHERE tenant_id = %(tenant)s) c
),
plan_prices AS (
    SELECT pp.plan_id, pp.monthly_price, pp.currency,
        CASE WHEN row_number() OVER w > 1 THEN pp.effective_date END AS starts,
        lead(pp.effective_date) OVER w AS ends
    FROM {plan_price} pp WHERE pp.tenant_id = %(tenant)s
    WINDOW w AS (PARTITION BY pp.plan_id ORDER BY pp.effective_date)
),
plan_on AS (
    SELECT p.d, pl.id AS plan_id, pl.cycle_months,
        COALESCE(pp.monthly_price, pl.monthly_price) AS price,
        COALESCE(pp.currency, pl.currency) AS currency
    FROM points p CROSS JOIN {plan} pl
    LEFT JOIN plan_prices pp ON pp.plan_id = pl.id
        AND (pp.starts IS NULL OR pp.starts <= p.d) AND (pp.ends IS NULL OR p.d < pp.ends)
    WHERE pl.tenant_id = %(tenant)s
),
addon_prices AS (
    SELECT ap.addon_id, ap.monthly_price, ap.currency,
        CASE WHEN row_number() OVER w > 1 THEN ap.effective_date END AS starts,
        lead(ap.effective_date) OVER w AS ends
    FROM {addon_price} ap WHERE ap.tenant_id = %(tenant)s
    WINDOW w AS (PARTITION BY ap.addon_id ORDER BY ap.effective_date)
),
addon_on AS (
    SELECT p.d, ad.id AS addon_id, ad.cycle_months,
        COALESCE(ap.monthly_price, ad.monthly_price) AS price,
        COALESCE(ap.currency, ad.currency) AS currency
    FROM points p CROSS JOIN {addon} ad
    LEFT JOIN addon_prices ap ON ap.addon_id = ad.id
        AND (ap.starts IS NULL OR ap.starts <= p.d) AND (ap.ends IS NULL OR p.d < ap.ends)
    WHERE ad.tenant_id = %(tenant)s
),
in_service AS (
    SELECT p.d, s.id AS sub_id, s.customer_id, COALESCE(ps.plan_id, s.plan_id) AS plan_id
    FROM points p
    JOIN status_spans st ON st.starts <= p.d AND (st.ends IS NULL OR p.d < st.ends)
        AND st.to_status = ANY(%(in_service)s)
    JOIN {sub} s ON s.id = st.subscription_id
    JOIN {customer} c ON c.id = s.customer_id
    LEFT JOIN plan_spans ps ON ps.subscription_id = s.id
        AND (ps.starts IS NULL OR ps.starts <= p.d) AND (ps.ends IS NULL OR p.d < ps.ends)
    WHERE %(tag)s::jsonb IS NULL OR c.tags @> %(tag)s::jsonb
),
addon_lines AS (
    SELECT i.d, i.sub_id, sa.id AS line_id, sa.addon_id, sa.quantity
    FROM in_service i
    JOIN {sub_addon} sa ON sa.subscription_id = i.sub_id
        AND sa.start_date <= i.d AND (sa.end_date IS NULL OR sa.end_date >= i.d)
),
discounts AS (
    SELECT i.d, i.sub_id,
        sum(CASE WHEN pr.kind = 'percent' THEN po.price * pr.value / 100
                 ELSE pr.value / po.cycle_months END) AS amount
    FROM in_service i
    JOIN {sub_promo} sp ON sp.subscription_id = i.sub_id AND sp.start_date <= i.d
    JOIN {promo} pr ON pr.id = sp.promotion_id
    JOIN plan_on po ON po.d = i.d AND po.plan_id = i.plan_id
    WHERE pr.cycles IS NULL
       OR i.d < sp.start_date + make_interval(months => pr.cycles * po.cycle_months)
    GROUP BY i.d, i.sub_id
),
bundles AS (
    SELECT b.id, b.discount_kind AS kind, b.discount_value AS value,
        b.requires_all_products AS requires_all,
        (b.created_at AT TIME ZONE %(tz)s)::date AS starts,
        ARRAY(SELECT bp.plan_id FROM {bundle_plans} bp WHERE bp.bundle_id = b.id) AS plan_ids,
        ARRAY(SELECT ba.addon_id FROM {bundle_addons} ba WHERE ba.bundle_id = b.id) AS addon_ids
    FROM {bundle} b WHERE b.tenant_id = %(tenant)s AND b.is_active
),
attached AS (
    SELECT d, sub_id, array_agg(addon_id) AS addon_ids FROM addon_lines
    WHERE EXISTS (SELECT 1 FROM bundles) GROUP BY d, sub_id
),
qualified AS (
    SELECT i.d, i.sub_id, i.plan_id, b.kind, b.value, b.plan_ids, b.addon_ids
    FROM in_service i JOIN bundles b ON b.starts <= i.d
    LEFT JOIN attached a ON a.d = i.d AND a.sub_id = i.sub_id
    WHERE NOT b.requires_all OR (
        (cardinality(b.plan_ids) = 0 OR i.plan_id = ANY(b.plan_ids))
        AND b.addon_ids <@ COALESCE(a.addon_ids, '{{}}')
    )
),
plan_bundle AS (
    SELECT q.d, q.sub_id,
        sum(CASE WHEN q.kind = 'percent' THEN po.price * q.value / 100
                 ELSE LEAST(q.value / po.cycle_months, po.price) END) AS amount
    FROM qualified q JOIN plan_on po ON po.d = q.d AND po.plan_id = q.plan_id
    WHERE q.plan_id = ANY(q.plan_ids)
    GROUP BY q.d, q.sub_id
),
addon_bundle AS (
    SELECT q.d, al.line_id,
        sum(CASE WHEN q.kind = 'percent' THEN ao.price * al.quantity * q.value / 100
                 ELSE LEAST(q.value * al.quantity / ao.cycle_months, ao.price * al.quantity)
            END) AS amount
    FROM qualified q
    JOIN addon_lines al ON al.d = q.d AND al.sub_id = q.sub_id AND al.addon_id = ANY(q.addon_ids)
    JOIN addon_on ao ON ao.d = q.d AND ao.addon_id = al.addon_id
    GROUP BY q.d, al.line_id
),
items AS (
    SELECT i.d, i.customer_id, i.sub_id, i.plan_id, po.currency,
        round(
            GREATEST(po.price - COALESCE(disc.amount, 0) - COALESCE(pb.amount, 0), 0)
            * CASE WHEN po.currency = %(currency)s THEN 1 ELSE r.rate END,
            %(minor)s
        ) AS amount
    FROM in_service i
    JOIN plan_on po ON po.d = i.d AND po.plan_id = i.plan_id
    LEFT JOIN discounts disc ON disc.d = i.d AND disc.sub_id = i.sub_id
    LEFT JOIN plan_bundle pb ON pb.d = i.d AND pb.sub_id = i.sub_id
    LEFT JOIN rates r ON r.d = i.d AND r.currency = po.currency
    WHERE %(plan)s::bigint IS NULL OR i.plan_id = %(plan)s
    UNION ALL
    SELECT i.d, i.customer_id, i.sub_id, i.plan_id, ao.currency,
        round(
            GREATEST(ao.price * al.quantity - COALESCE(ab.amount, 0), 0)
            * CASE WHEN ao.currency = %(currency)s THEN 1 ELSE r.rate END,
            %(minor)s
        ) AS amount
    FROM in_service i
    JOIN addon_lines al ON al.d = i.d AND al.sub_id = i.sub_id
    JOIN addon_on ao ON ao.d = i.d AND ao.addon_id = al.addon_id
    LEFT JOIN addon_bundle ab ON ab.d = i.d AND ab.line_id = al.line_id
    LEFT JOIN rates r ON r.d = i.d AND r.currency = ao.currency
    WHERE %(plan)s::bigint IS NULL OR i.plan_id = %(plan)s
)
"""
)

# Per customer and month: MRR at the opening and at the closing day, then
# each customer's change sorted into exactly one movement, so the movements
# add up to the closing MRR by construction. A customer without MRR at the
# opening who had a subscription in service before it comes back
# (reactivation); one who never had is new.
_MOVEMENTS = (
    _ITEMS
    + """,
customer_mrr AS (
    SELECT d, customer_id, sum(amount) AS mrr, bool_or(amount IS NULL) AS no_rate
    FROM items GROUP BY d, customer_id
),
months AS (
    SELECT unnest(%(prevs)s::date[]) AS prev, unnest(%(ends)s::date[]) AS d
),
pairs AS (
    SELECT d, prev, customer_id, sum(opening) AS opening, sum(closing) AS closing,
        bool_or(no_rate) AS no_rate
    FROM (
        SELECT m.d, m.prev, c.customer_id, c.mrr AS opening, 0 AS closing, c.no_rate
        FROM months m JOIN customer_mrr c ON c.d = m.prev
        UNION ALL
        SELECT m.d, m.prev, c.customer_id, 0, c.mrr, c.no_rate
        FROM months m JOIN customer_mrr c ON c.d = m.d
    ) both_ends
    GROUP BY d, prev, customer_id
),
sorted AS (
    SELECT p.*,
        p.opening = 0 AND p.closing > 0 AND EXISTS (
            SELECT 1 FROM {sub} s2 JOIN {event} e ON e.subscription_id = s2.id
            WHERE s2.customer_id = p.customer_id AND e.to_status = 'active'
              AND e.from_status = 'pending' AND e.effective_date <= p.prev
        ) AS comes_back
    FROM pairs p
)
SELECT m.d,
    COALESCE(sum(opening), 0),
    COALESCE(sum(closing) FILTER (WHERE opening = 0 AND closing > 0 AND NOT comes_back), 0),
    COALESCE(sum(closing - opening) FILTER (WHERE opening > 0 AND closing > opening), 0),
    COALESCE(sum(opening - closing)
             FILTER (WHERE opening > 0 AND closing > 0 AND closing < opening), 0),
    COALESCE(sum(opening) FILTER (WHERE opening > 0 AND closing = 0), 0),
    COALESCE(sum(closing) FILTER (WHERE comes_back), 0),
    COALESCE(sum(closing), 0),
    count(*) FILTER (WHERE opening > 0),
    count(*) FILTER (WHERE closing > 0),
    count(*) FILTER (WHERE opening = 0 AND closing > 0 AND NOT comes_back),
    count(*) FILTER (WHERE comes_back),
    count(*) FILTER (WHERE opening > 0 AND closing = 0),
    COALESCE(bool_or(no_rate), false)
FROM months m LEFT JOIN sorted s ON s.d = m.d
GROUP BY m.d ORDER BY m.d
"""
)

_MISSING_RATE = (
    _ITEMS
    + """
SELECT currency, min(d) FROM items WHERE amount IS NULL GROUP BY currency ORDER BY 2, 1 LIMIT 1
"""
)

_BY_PLAN = (
    _ITEMS
    + """
SELECT i.d, pl.id, pl.name, count(DISTINCT i.sub_id), COALESCE(sum(i.amount), 0),
    bool_or(i.amount IS NULL)
FROM items i JOIN {plan} pl ON pl.id = i.plan_id
GROUP BY i.d, pl.id, pl.name ORDER BY i.d, pl.name, pl.id
"""
)


def _measured_on(tenant: Tenant, month: dt.date) -> dt.date:
    """The day a month's closing MRR is measured: its last day, or today for
    the current month (a later day would count what has not happened)."""
    return min(clock.month_end(month), clock.today(tenant))


def _params(tenant: Tenant, filters: Filters, points: Sequence[dt.date]) -> dict[str, Any]:
    return {
        "tenant": tenant.pk,
        "tz": tenant.timezone,
        "points": list(points),
        "in_service": list(IN_SERVICE),
        "currency": tenant.currency,
        "minor": minor_unit(tenant.currency),
        "plan": filters.plan_id,
        "tag": json.dumps([filters.tag]) if filters.tag else None,
    }


def _raise_missing_rate(tenant: Tenant, params: dict[str, Any]) -> None:
    rows = sql.fetch(_MISSING_RATE, params)
    currency, day = rows[0] if rows else ("?", params["points"][0])
    raise NotFound(f"no {currency} exchange rate on or before {day}", field="currency")


def mrr_movements(tenant: Tenant, filters: Filters) -> list[MrrMonth]:
    """MRR and its movements for each month of ``filters``, oldest first.

    One statement for the whole range. Raises NotFound (field ``currency``)
    when an item's currency has no exchange rate on or before a day measured.
    """
    months = months_between(filters.start, filters.end)
    ends = [_measured_on(tenant, m) for m in months]
    prevs = [m - dt.timedelta(days=1) for m in months]
    params = _params(tenant, filters, sorted(set(ends) | set(prevs)))
    params.update(ends=ends, prevs=prevs)
    rows = sql.fetch(_MOVEMENTS, params)
    if any(row[-1] for row in rows):
        _raise_missing_rate(tenant, params)
    return [
        MrrMonth(
            month=month,
            as_of=row[0],
            opening=row[1],
            new=row[2],
            expansion=row[3],
            contraction=row[4],
            churn=row[5],
            reactivation=row[6],
            closing=row[7],
            customers_opening=row[8],
            customers_closing=row[9],
            new_customers=row[10],
            reactivated_customers=row[11],
            churned_customers=row[12],
        )
        for month, row in zip(months, rows, strict=True)
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
# calendar (before the next day's first instant), summed once per invoice
# for the tenant rather than looked up invoice by invoice; overdue when its
# due date is before that day. One row per overdue invoice: ``id``,
# ``customer_id``, ``days`` past due, ``open_amount`` and ``currency``, and
# ``amount`` in the tenant's currency (NULL without an exchange rate).
AGING_SQL = """
WITH paid AS (
    SELECT a.invoice_id, sum(a.amount) AS amount
    FROM {allocation} a
    WHERE a.tenant_id = %(tenant)s AND a.created_at < %(day_after)s
    GROUP BY a.invoice_id
),
open_invoices AS (
    SELECT inv.id, inv.customer_id, inv.currency, %(as_of)s::date - inv.due_date AS days,
        inv.total - COALESCE(paid.amount, 0) AS open_amount
    FROM {invoice} inv
    LEFT JOIN paid ON paid.invoice_id = inv.id
    WHERE inv.tenant_id = %(tenant)s
      AND (inv.status <> %(void)s OR inv.voided_on > %(as_of)s)
      AND inv.issue_date <= %(as_of)s AND inv.due_date < %(as_of)s
      AND (%(tag)s::jsonb IS NULL OR EXISTS (
          SELECT 1 FROM {customer} c WHERE c.id = inv.customer_id AND c.tags @> %(tag)s::jsonb
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
