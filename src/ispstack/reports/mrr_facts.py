"""MRR facts: each subscription's MRR on a day, computed once from history
and stored, so the MRR reports read stored rows instead of replaying every
subscription's history for every month they show.

``ITEMS`` is the one computation of MRR from history (docs/metrics.md):
each recurring item in service on a day, priced on that day. ``store_days``
runs it for the days a report needs that are not stored yet and keeps the
result per subscription (``MrrFact``) with the day's mark
(``MrrFactDay``). PostgreSQL triggers drop the mark of every day a later
change reaches (migration ``reports.0004_mrr_fact_triggers``), so stored
days stay equal to a computation from today's history: a backdated
termination or price correction moves the months it reaches, as the live
computation would. The hourly task ``ispstack.reports.store_mrr_facts``
keeps each tenant's month ends and today stored, so a report's first view
does not pay for them; only days a change reached are computed again,
never the whole history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from ispstack.core import clock
from ispstack.core.models import Tenant
from ispstack.core.money import minor_unit
from ispstack.reports import sql
from ispstack.reports.models import MrrFact, MrrFactDay, MrrMonthFact
from ispstack.subscriptions.models import SubscriptionEvent, SubscriptionStatus

#: Statuses whose subscription counts in MRR: a suspended contract still runs
#: (its debt is being collected); it leaves MRR when it is terminated.
IN_SERVICE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)

#: The first key of the tenant's advisory lock between storing days (taken
#: exclusively) and the triggers that forget them (taken shared). The
#: migration's SQL carries the same number; a test holds them equal.
LOCK_KEY = 0x4D525246

ZERO = Decimal(0)

#: Month ends kept stored by the hourly task, counting back from today.
KEPT_MONTHS = 36


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
ITEMS = (
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


_STORE = (
    ITEMS
    + """
INSERT INTO {fact} (tenant_id, day, subscription_id, customer_id, plan_id, amount, no_rate)
SELECT %(tenant)s, d, sub_id, customer_id, plan_id, COALESCE(sum(amount), 0),
    bool_or(amount IS NULL)
FROM items GROUP BY d, sub_id, customer_id, plan_id
"""
)


# The stored MRR of each subscription on the days ``points`` (each stored by
# ``mrr_facts.store_days`` first), with the report's plan and tag filters;
# amounts at the currency's minor unit, as computed (the column keeps four).
FACTS = """
WITH facts AS (
    SELECT f.day AS d, f.customer_id, f.plan_id, round(f.amount, %(minor)s) AS amount, f.no_rate
    FROM {fact} f
    WHERE f.tenant_id = %(tenant)s AND f.day = ANY(%(points)s::date[])
      AND (%(plan)s::bigint IS NULL OR f.plan_id = %(plan)s)
      AND (%(tag)s::jsonb IS NULL OR EXISTS (
          SELECT 1 FROM {customer} c WHERE c.id = f.customer_id AND c.tags @> %(tag)s::jsonb
      ))
)"""

# Per customer and month: MRR at the opening and at the closing day, then
# each customer's change sorted into exactly one movement, so the movements
# add up to the closing MRR by construction. A customer without MRR at the
# opening who had a subscription in service before it comes back
# (reactivation); one who never had is new. The days form a chain (each
# month opens on the day the month before closed), numbered 0..last: one
# sort of each customer's days then gives, per row, the customer's MRR at
# the point before (opening) and whether they have one at the point after
# (else the month after loses them), instead of joining both ends per month.
# A row per month index (1..last) that has any customer; ``points`` is sorted,
# so ``points[i]`` (one-based) is month i's opening day.
MOVEMENTS = (
    FACTS
    + """,
chain AS (
    SELECT p AS d, (row_number() OVER (ORDER BY p))::int - 1 AS i
    FROM unnest(%(points)s::date[]) AS p
),
customer_mrr AS (
    SELECT c.i, f.customer_id, sum(f.amount) AS mrr, bool_or(f.no_rate) AS no_rate
    FROM facts f JOIN chain c ON c.d = f.d
    GROUP BY f.customer_id, c.i
),
neighbours AS (
    SELECT customer_id, i, mrr, no_rate,
        lag(i) OVER w AS before_i, lag(mrr) OVER w AS before_mrr,
        lag(no_rate) OVER w AS before_no_rate, lead(i) OVER w AS after_i
    FROM customer_mrr WINDOW w AS (PARTITION BY customer_id ORDER BY i)
),
pairs AS (
    SELECT i, customer_id,
        CASE WHEN before_i = i - 1 THEN before_mrr ELSE 0 END AS opening,
        mrr AS closing,
        no_rate OR (before_i = i - 1 AND before_no_rate) AS no_rate
    FROM neighbours WHERE i > 0
    UNION ALL
    SELECT i + 1, customer_id, mrr, 0, no_rate
    FROM neighbours WHERE i < %(last)s AND (after_i IS NULL OR after_i > i + 1)
),
sorted AS (
    SELECT p.*,
        p.opening = 0 AND p.closing > 0 AND EXISTS (
            SELECT 1 FROM {sub} s2 JOIN {event} e ON e.subscription_id = s2.id
            WHERE s2.customer_id = p.customer_id AND e.to_status = 'active'
              AND e.from_status = 'pending'
              AND e.effective_date <= (%(points)s::date[])[p.i]
        ) AS comes_back
    FROM pairs p
)
SELECT i,
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
FROM sorted GROUP BY i
"""
)

#: A month's figures, in the order MOVEMENTS gives them after the month's index.
MONTH_FIELDS = (
    "opening",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "closing",
    "customers_opening",
    "customers_closing",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "no_rate",
)
#: A month no customer had MRR at either end of.
NO_CUSTOMERS: tuple[Any, ...] = (*[ZERO] * 7, *[0] * 5, False)


def items_params(
    tenant: Tenant, points: Iterable[dt.date], *, plan_id: int | None = None, tag: str = ""
) -> dict[str, Any]:
    """The parameters of ``ITEMS`` for ``tenant`` on the days ``points``,
    optionally only subscriptions on plan ``plan_id`` that day and customers
    tagged ``tag``."""
    return {
        "tenant": tenant.pk,
        "tz": tenant.timezone,
        "points": sorted(set(points)),
        "in_service": list(IN_SERVICE),
        "currency": tenant.currency,
        "minor": minor_unit(tenant.currency),
        "plan": plan_id,
        "tag": json.dumps([tag]) if tag else None,
    }


def store_days(tenant: Tenant, days: Iterable[dt.date]) -> int:
    """Compute and store the MRR facts of each day of ``days`` (dates, no later
    than the tenant's today) that is not stored yet; returns how many days
    were computed. Runs in the caller's transaction (or its own), holding
    the tenant's MRR-facts lock exclusively while it computes: a change
    committed meanwhile waits for it, then forgets what it reaches.
    Raises ValueError for a day after today (its history is not written)."""
    wanted = set(days)
    today = clock.today(tenant)
    if any(day > today for day in wanted):
        raise ValueError(f"MRR facts are stored up to today ({today}), not later")

    def write(missing: list[dt.date]) -> None:
        MrrFact.objects.filter(tenant=tenant, day__in=missing).delete()
        sql.execute(_STORE, items_params(tenant, missing), nested_loops=False)

    return sql.store_missing(
        tenant.pk, wanted, marker=MrrFactDay, field="day", lock_key=LOCK_KEY, write=write
    )


def month_before(day: dt.date) -> dt.date:
    """The day before ``day``'s month began: where the month's MRR opens."""
    return day.replace(day=1) - dt.timedelta(days=1)


def chain_of(ends: Iterable[dt.date]) -> list[dt.date]:
    """The days the movements of the months closing on ``ends`` read, sorted:
    each end and the day before its month. Every end is a month end or the
    tenant's today, so the day before each end in this list is its month's
    opening day."""
    wanted = set(ends)
    return sorted(wanted | {month_before(day) for day in wanted})


def _movement_rows(
    tenant: Tenant, chain: list[dt.date], plan_id: int | None, tag: str
) -> dict[dt.date, tuple[Any, ...]]:
    params = items_params(tenant, chain, plan_id=plan_id, tag=tag)
    params["last"] = len(chain) - 1
    rows = sql.fetch(MOVEMENTS, params, work_mem="256MB")
    return {chain[row[0]]: tuple(row[1:]) for row in rows}


def month_rows(
    tenant: Tenant, ends: Sequence[dt.date], *, plan_id: int | None = None, tag: str = ""
) -> list[tuple[Any, ...]]:
    """The MRR movements of each month closing on a day of ``ends`` (month
    ends, or the tenant's today), as tuples in ``MONTH_FIELDS`` order:
    amounts as Decimal in the tenant's currency at its minor unit, counts of
    paying customers, and whether an exchange rate was missing.

    Without a filter the months are read from ``MrrMonthFact`` (each missing
    one computed and stored first); with a plan (``plan_id``) or a customer
    tag (``tag``) they are computed from the stored days' facts."""
    if plan_id is not None or tag:
        chain = chain_of(ends)
        store_days(tenant, chain)
        computed = _movement_rows(tenant, chain, plan_id, tag)
        return [computed.get(day, NO_CUSTOMERS) for day in ends]
    exponent = Decimal(1).scaleb(-minor_unit(tenant.currency))

    def read() -> dict[dt.date, tuple[Any, ...]]:
        months = MrrMonthFact.objects.filter(tenant=tenant, day__in=ends)
        return {
            month.day: tuple(
                value.quantize(exponent) if isinstance(value, Decimal) else value
                for value in (getattr(month, name) for name in MONTH_FIELDS)
            )
            for month in months
        }

    stored = read()
    if set(ends) - set(stored):
        with transaction.atomic():
            sql.lock_tenant(LOCK_KEY, tenant.pk)
            stored = read()
            missing = sorted(set(ends) - set(stored))
            if missing:
                chain = chain_of(missing)
                store_days(tenant, chain)
                computed = _movement_rows(tenant, chain, None, "")
                new = {day: computed.get(day, NO_CUSTOMERS) for day in missing}
                MrrMonthFact.objects.bulk_create(
                    MrrMonthFact(
                        tenant=tenant, day=day, **dict(zip(MONTH_FIELDS, row, strict=True))
                    )
                    for day, row in new.items()
                )
                stored.update(new)
    return [stored[day] for day in ends]


def kept_days(tenant: Tenant) -> list[dt.date]:
    """The days the hourly task keeps stored: each month end of the last
    ``KEPT_MONTHS`` months since the tenant's first subscription event, and
    today (the current month is reported as of today)."""
    today = clock.today(tenant)
    first = (
        SubscriptionEvent.objects.filter(tenant=tenant)
        .order_by("effective_date")
        .values_list("effective_date", flat=True)
        .first()
    )
    if first is None:
        return []
    days = [today]
    month = today.replace(day=1)
    for _ in range(KEPT_MONTHS):
        month_end = month - dt.timedelta(days=1)
        if month_end < first - dt.timedelta(days=1):
            break
        days.append(month_end)
        month = month_end.replace(day=1)
    return days


def prune(tenant: Tenant) -> int:
    """Forget stored days before today that are not month ends (the days a
    report read as "today" earlier); returns how many were dropped."""
    today = clock.today(tenant)
    stale = [
        day
        for day in MrrFactDay.objects.filter(tenant=tenant, day__lt=today).values_list(
            "day", flat=True
        )
        if (day + dt.timedelta(days=1)).day != 1
    ]
    if not stale:
        return 0
    with transaction.atomic():
        sql.lock_tenant(LOCK_KEY, tenant.pk)
        MrrMonthFact.objects.filter(tenant=tenant, day__in=stale).delete()
        MrrFactDay.objects.filter(tenant=tenant, day__in=stale).delete()
        MrrFact.objects.filter(tenant=tenant, day__in=stale).delete()
    return len(stale)
