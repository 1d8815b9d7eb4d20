"""Benchmark: the finance reports on N subscribers.

    python bench/reports.py [--subscriptions 100000] [--months 12]

Builds a fresh database ``ispstack_bench_reports`` (``--database``) on the
server of DATABASE_URL (or the embedded one) and fills it with COPY: N
subscribers on three plans activated over the past three years (one
lifecycle event each), a tenth upgraded, a twentieth terminated, a fifth
with an add-on, a tenth with a promotion; the plans' prices raised a year
ago (price history); served by 40 sectors on 10 sites; and their money
history (``reports_money.fill_history``: a monthly invoice from their start,
up to 36 months, paid by direct debit, card, transfer or cash, with
declined cards, returned debits, credit notes, refunds and unpaid ones);
and their operations history (``reports_ops.fill_operations``: daily usage
over the last 12 months, dunning campaigns with their executions and step
log, and tickets; written into a reused database that lacks it).
Then it stores the MRR facts (the hourly task
``ispstack.reports.store_mrr_facts``: each month end and today; then a
second run, with nothing left to do) and the closed months of revenue by
service (``ispstack.reports.store_revenue_facts``, the same way) and of usage
by plan (``ispstack.reports.store_usage_facts``), times each report over the last
``--months`` months (the aging and the overdue balance by site on the last
day) and its floor: one hand-written statement answering the same
question for this data only (one currency, no filter, no bundle), median
of 3 runs each, checks that both give the same figures, and prints seconds
per report, the floor's and their ratio; then the MRR movements again after
an event dated today (today's facts computed again) and revenue by service
after a line of last month is edited (that month computed again). The seed is fixed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import bench_database_url, bench_tenant, seed_customers, setup_django  # noqa: E402
from reports_money import Subscriber, fill_history, make_sites, money_reports  # noqa: E402
from reports_ops import fill_operations, ops_params, ops_reports  # noqa: E402

DB_NAME = "ispstack_bench_reports"
TODAY = dt.date(2026, 6, 15)
HISTORY_DAYS = 3 * 365
# Daily usage is written for the months the reports read by default.
USAGE_MONTHS = 12


def populate(n: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from ispstack.catalog.models import Plan
    from ispstack.catalog.services import (
        create_addon,
        create_promotion,
        update_addon,
        update_plan,
    )
    from ispstack.core import clock
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.subscriptions.models import (
        PlanChange,
        Subscription,
        SubscriptionAddOn,
        SubscriptionEvent,
        SubscriptionPromotion,
    )

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    opened = dt.datetime.combine(TODAY - dt.timedelta(days=HISTORY_DAYS + 1), dt.time(12))
    with clock.simulated(opened.replace(tzinfo=dt.UTC)):
        tenant, vat, plans = bench_tenant()
        addon = create_addon(
            tenant=tenant, code="ip", name="Static IP", monthly_price="50.00", tax_rate=vat
        )
        promo = create_promotion(
            tenant=tenant, code="half", name="Half", kind="percent", value="50", cycles=3
        )
    raised = dt.datetime.combine(TODAY - dt.timedelta(days=365), dt.time(12), tzinfo=dt.UTC)
    with clock.simulated(raised):
        for plan in plans:
            update_plan(plan=plan, monthly_price=plan.monthly_price + 20)
        update_addon(addon=addon, monthly_price="55.00")
        plans = [Plan.objects.get(pk=plan.pk) for plan in plans]
    price_rise = TODAY - dt.timedelta(days=365)

    def plan_price(first: Plan, then: Plan | None, on: dt.date | None) -> Any:
        def price(day: dt.date) -> Decimal:
            plan = then if then is not None and on is not None and day >= on else first
            return plan.monthly_price - (20 if day < price_rise else 0)

        return price

    def addon_price(day: dt.date) -> Decimal:
        return Decimal("55.00") if day >= price_rise else Decimal("50.00")

    with transaction.atomic():
        sectors = make_sites(tenant)
        customer_ids = seed_customers(tenant, n)
        sub_ids = reserve_ids(Subscription, n)
        subs, events, changes, addons, promos, subscribers = [], [], [], [], [], []
        for i, (cid, sid) in enumerate(zip(customer_ids, sub_ids, strict=True), 1):
            start = TODAY - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
            first = plan = plans[i % 2]
            status = "active"
            events.append((tenant.pk, sid, "pending", "active", "", start, "bench"))
            on = end = None
            if i % 10 == 0:
                on = start + dt.timedelta(days=rng.randint(0, (TODAY - start).days))
                changes.append((tenant.pk, sid, plan.pk, plans[2].pk, on, "applied", ""))
                plan = plans[2]
            if i % 20 == 1:
                end = start + dt.timedelta(days=rng.randint(0, (TODAY - start).days))
                events.append((tenant.pk, sid, "active", "terminated", "left", end, "bench"))
                status = "terminated"
            if i % 5 == 2:
                addons.append((tenant.pk, sid, addon.pk, 1, start))
            if i % 10 == 3:
                promos.append((tenant.pk, sid, promo.pk, start))
            subs.append(
                (sid, tenant.pk, cid, plan.pk, f"b{i}@isp.example", "pw", 1, start, status)
                + (sectors[i % len(sectors)], "ftth" if i % 3 else "wireless")
            )
            subscribers.append(
                Subscriber(
                    number=i,
                    customer_id=cid,
                    subscription_id=sid,
                    start=start,
                    end=end,
                    plan_price=plan_price(first, plans[2], on),
                    addon_price=addon_price if i % 5 == 2 else None,
                    promotion=i % 10 == 3,
                )
            )
        copy_rows(
            Subscription,
            ("id", "tenant", "customer", "plan", "username", "password", "billing_day")
            + ("start_date", "status", "sector", "connection_type"),
            subs,
        )
        copy_rows(
            SubscriptionEvent,
            ("tenant", "subscription", "from_status", "to_status", "reason", "effective_date")
            + ("actor_label",),
            events,
        )
        copy_rows(
            PlanChange,
            ("tenant", "subscription", "from_plan", "to_plan", "effective_date", "status")
            + ("reason",),
            changes,
        )
        copy_rows(
            SubscriptionAddOn, ("tenant", "subscription", "addon", "quantity", "start_date"), addons
        )
        copy_rows(
            SubscriptionPromotion, ("tenant", "subscription", "promotion", "start_date"), promos
        )
        counts = fill_history(tenant, subscribers, TODAY)
    print("money history: " + ", ".join(f"{v} {k} rows" for k, v in counts.items()))
    fill_operations_once(tenant)


def fill_operations_once(tenant: Any) -> None:
    """The usage, dunning and helpdesk history (``reports_ops``): what a
    database filled before it lacks."""
    began = time.perf_counter()
    counts = fill_operations(tenant, TODAY, USAGE_MONTHS)
    if counts:
        took = time.perf_counter() - began
        print(
            "operations history: "
            + ", ".join(f"{v} {k} rows" for k, v in counts.items())
            + f" in {took:.0f} s"
        )


def measure(months: int) -> None:
    from ispstack.catalog.models import Plan
    from ispstack.core import clock
    from ispstack.core.models import Tenant
    from ispstack.reports import operations, selectors
    from ispstack.reports.models import MrrFactDay, RevenueFactMonth, UsageFactMonth
    from ispstack.reports.tasks import (
        store_mrr_facts_task,
        store_revenue_facts_task,
        store_usage_facts_task,
    )
    from ispstack.subscriptions.models import Subscription, SubscriptionEvent

    tenant = Tenant.objects.get(slug="bench")
    moment = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    with clock.simulated(moment):
        # The hourly task stores the month ends and today, as after a
        # billing run in production; a second run finds nothing to do.
        # The same for revenue by service and usage by plan: every closed
        # month once.
        MrrFactDay.objects.filter(tenant=tenant).delete()
        RevenueFactMonth.objects.filter(tenant=tenant).delete()
        UsageFactMonth.objects.filter(tenant=tenant).delete()
        for facts, task, unit in (
            ("MRR facts", store_mrr_facts_task, "days"),
            ("revenue facts", store_revenue_facts_task, "months"),
            ("usage facts", store_usage_facts_task, "months"),
        ):
            for run in ("first", "next"):
                began = time.perf_counter()
                counts = task()
                took = time.perf_counter() - began
                print(f"store {facts} ({run} run): {counts['stored']} {unit} in {took:.2f} s")
        start = selectors.months_before(TODAY.replace(day=1), months - 1)
        filters = selectors.make_filters(tenant, start=start, end=TODAY)
        month_list = selectors.months_between(filters.start, filters.end)
        ends = [min(clock.month_end(m), TODAY) for m in month_list]
        prevs = [m - dt.timedelta(days=1) for m in month_list]
        top_plan = Plan.objects.get(tenant=tenant, code="p100").pk
        one_plan = selectors.make_filters(tenant, start=start, end=TODAY, plan_id=top_plan)
        params = {
            "tenant": tenant.pk,
            "ends": ends,
            "prevs": prevs,
            "as_of": TODAY,
            "plan": top_plan,
        }
        for name, run, floor in (
            ("mrr movements", lambda: selectors.mrr_movements(tenant, filters), FLOOR_MRR),
            (
                "mrr movements, one plan",
                lambda: selectors.mrr_movements(tenant, one_plan),
                FLOOR_MRR_ONE_PLAN,
            ),
            ("growth by plan", lambda: selectors.growth_by_plan(tenant, filters), FLOOR_PLANS),
            ("aging", lambda: selectors.aging(tenant, as_of=TODAY), FLOOR_AGING),
        ):
            _compare(name, run, floor, params, _figures, partial(_floor_figures, name))
        money_params = {
            **params,
            "tz": tenant.timezone,
            "starts": month_list,
            "first": month_list[0],
            "last": ends[-1],
            "since": clock.start_of_day(tenant, month_list[0]),
            "until": clock.start_of_day(tenant, ends[-1] + dt.timedelta(days=1)),
            "day_after": clock.start_of_day(tenant, TODAY + dt.timedelta(days=1)),
        }
        for name, run, floor, figures, floor_figures in money_reports(tenant, filters, TODAY):
            _compare(name, run, floor, money_params, figures, floor_figures)
        days = operations.make_range(tenant, start=None, end=None)
        ops = ops_params(tenant, filters, days)
        for name, run, floor, figures, floor_figures in ops_reports(tenant, filters, days):
            _compare(name, run, floor, ops, figures, floor_figures)
        # A suspension entered today: only today is computed again.
        sub = Subscription.objects.filter(tenant=tenant, status="active").order_by("pk").first()
        assert sub is not None
        SubscriptionEvent.objects.create(
            tenant=tenant,
            subscription=sub,
            from_status="active",
            to_status="active",
            reason="bench: a change dated today",
            effective_date=TODAY,
        )
        began = time.perf_counter()
        last = selectors.mrr_movements(tenant, filters)[-1]
        took = time.perf_counter() - began
        print(f"mrr movements after a change dated today: {took:.2f} s (today computed again)")
        print(f"closing MRR {last.closing} ZAR, {last.customers_closing} paying customers")
        _revenue_after_a_backdated_edit(tenant, filters)


def _revenue_after_a_backdated_edit(tenant: Any, filters: Any) -> None:
    """Revenue by service after a line of last month is edited (a script's
    correction): that month alone is computed again. The edit is undone."""
    from ispstack.billing.models import InvoiceLine
    from ispstack.reports import revenue, selectors

    last_month = selectors.months_before(TODAY.replace(day=1), 1)
    line = (
        InvoiceLine.objects.filter(tenant=tenant, invoice__issue_date__gte=last_month)
        .order_by("pk")
        .first()
    )
    assert line is not None
    amount = line.net_amount
    InvoiceLine.objects.filter(pk=line.pk).update(net_amount=amount + 1)
    began = time.perf_counter()
    revenue.revenue_by_service(tenant, filters)
    took = time.perf_counter() - began
    print(f"revenue by service after a line of last month is edited: {took:.2f} s")
    InvoiceLine.objects.filter(pk=line.pk).update(net_amount=amount)


# The floors: one statement each, written by hand for the bench's data (one
# currency, no filter, no bundle, every plan and add-on price history
# non-empty), giving the same figures as the reports on it.
FLOOR_SPANS = """
WITH pts AS (SELECT DISTINCT unnest(%(ends)s::date[] || %(prevs)s::date[]) AS d),
st AS (
    SELECT subscription_id AS sub, to_status,
        effective_date + (to_status = 'terminated')::int AS f,
        lead(effective_date + (to_status = 'terminated')::int) OVER (
            PARTITION BY subscription_id ORDER BY effective_date, id) AS t
    FROM subscriptions_subscriptionevent WHERE tenant_id = %(tenant)s
),
pc AS (
    SELECT subscription_id AS sub, effective_date AS f, to_plan_id AS plan_id,
        lead(effective_date) OVER w AS t, row_number() OVER w AS n, from_plan_id
    FROM subscriptions_planchange WHERE tenant_id = %(tenant)s AND status = 'applied'
    WINDOW w AS (PARTITION BY subscription_id ORDER BY effective_date, id)
),
ps AS (
    SELECT sub, NULL::date AS f, f AS t, from_plan_id AS plan_id FROM pc WHERE n = 1
    UNION ALL SELECT sub, f, t, plan_id FROM pc
),
price AS (
    SELECT plan_id, monthly_price AS amount,
        CASE WHEN row_number() OVER w > 1 THEN effective_date END AS f,
        lead(effective_date) OVER w AS t
    FROM catalog_planprice WHERE tenant_id = %(tenant)s
    WINDOW w AS (PARTITION BY plan_id ORDER BY effective_date)
),
aprice AS (
    SELECT addon_id, monthly_price AS amount,
        CASE WHEN row_number() OVER w > 1 THEN effective_date END AS f,
        lead(effective_date) OVER w AS t
    FROM catalog_addonprice WHERE tenant_id = %(tenant)s
    WINDOW w AS (PARTITION BY addon_id ORDER BY effective_date)
),
live AS (
    SELECT p.d, s.id AS sub, s.customer_id, COALESCE(ps.plan_id, s.plan_id) AS plan_id
    FROM pts p JOIN st ON st.f <= p.d AND (st.t IS NULL OR p.d < st.t)
        AND st.to_status IN ('active', 'suspended')
    JOIN subscriptions_subscription s ON s.id = st.sub
    LEFT JOIN ps ON ps.sub = s.id AND (ps.f IS NULL OR ps.f <= p.d) AND (ps.t IS NULL OR p.d < ps.t)
),
mrr AS (
    SELECT l.d, l.customer_id, l.plan_id, l.sub, round(GREATEST(pr.amount - COALESCE((
        SELECT sum(CASE WHEN o.kind = 'percent' THEN pr.amount * o.value / 100
                        ELSE o.value / pl.cycle_months END)
        FROM subscriptions_subscriptionpromotion sp JOIN catalog_promotion o
            ON o.id = sp.promotion_id
        WHERE sp.subscription_id = l.sub AND sp.start_date <= l.d AND (o.cycles IS NULL
            OR l.d < sp.start_date + make_interval(months => o.cycles * pl.cycle_months))
    ), 0), 0), 2) + COALESCE((
        SELECT sum(round(ap.amount * sa.quantity, 2))
        FROM subscriptions_subscriptionaddon sa JOIN aprice ap ON ap.addon_id = sa.addon_id
            AND (ap.f IS NULL OR ap.f <= l.d) AND (ap.t IS NULL OR l.d < ap.t)
        WHERE sa.subscription_id = l.sub AND sa.start_date <= l.d
            AND (sa.end_date IS NULL OR sa.end_date >= l.d)
    ), 0) AS amount
    FROM live l JOIN catalog_plan pl ON pl.id = l.plan_id
    JOIN price pr ON pr.plan_id = l.plan_id
        AND (pr.f IS NULL OR pr.f <= l.d) AND (pr.t IS NULL OR l.d < pr.t)
)
"""

FLOOR_MRR = (
    FLOOR_SPANS
    + """,
cm AS (SELECT d, customer_id, sum(amount) AS amount FROM mrr GROUP BY d, customer_id),
pairs AS (
    SELECT m.d, m.prev, x.customer_id, COALESCE(x.o, 0) AS o, COALESCE(x.c, 0) AS c
    FROM unnest(%(ends)s::date[], %(prevs)s::date[]) AS m(d, prev)
    CROSS JOIN LATERAL (
        SELECT customer_id, o.amount AS o, c.amount AS c
        FROM (SELECT customer_id, amount FROM cm WHERE cm.d = m.prev) o
        FULL JOIN (SELECT customer_id, amount FROM cm WHERE cm.d = m.d) c USING (customer_id)
    ) x
)
SELECT d, sum(o), sum(c), sum(c - o) FILTER (WHERE o > 0 AND c > o),
    sum(o - c) FILTER (WHERE c > 0 AND c < o), sum(o) FILTER (WHERE c = 0),
    sum(c) FILTER (WHERE o = 0 AND EXISTS (
        SELECT 1 FROM subscriptions_subscription s2
        JOIN subscriptions_subscriptionevent e ON e.subscription_id = s2.id
        WHERE s2.customer_id = pairs.customer_id AND e.from_status = 'pending'
          AND e.effective_date <= pairs.prev))
FROM pairs GROUP BY d ORDER BY d
"""
)

# The same, for the subscriptions on one plan on each day.
FLOOR_MRR_ONE_PLAN = FLOOR_MRR.replace(
    "FROM mrr GROUP BY d, customer_id", "FROM mrr WHERE plan_id = %(plan)s GROUP BY d, customer_id"
)
assert FLOOR_MRR_ONE_PLAN != FLOOR_MRR

FLOOR_PLANS = (
    FLOOR_SPANS
    + """
SELECT d, plan_id, count(*), sum(amount) FROM mrr
WHERE d = ANY(%(ends)s::date[]) GROUP BY d, plan_id ORDER BY d, plan_id
"""
)

FLOOR_AGING = """
SELECT width_bucket(%(as_of)s::date - i.due_date, ARRAY[1, 31, 61, 91]), count(*),
    sum(i.total - COALESCE(a.paid, 0))
FROM billing_invoice i
LEFT JOIN (
    SELECT invoice_id, sum(amount) AS paid FROM payments_allocation
    WHERE created_at < %(as_of)s::date + 1 GROUP BY invoice_id
) a ON a.invoice_id = i.id
WHERE i.tenant_id = %(tenant)s AND i.status <> 'void' AND i.issue_date <= %(as_of)s
  AND i.due_date < %(as_of)s AND i.total > COALESCE(a.paid, 0)
GROUP BY 1
"""


def _compare(
    name: str,
    run: Callable[[], list[Any]],
    floor: str,
    params: dict[str, object],
    figures: Callable[[list[Any]], Any],
    floor_figures: Callable[[list[Any]], Any],
) -> None:
    """Time the report ``run`` and its ``floor`` statement (median of 3 runs
    each), print both and their ratio, and check that they agree on their
    figures."""
    took, rows = _median_of_3(run)
    floor_took, floor_rows = _median_of_3(partial(_floor, floor, params))
    print(
        f"{name}: {took:.2f} s ({len(rows)} rows), floor {floor_took:.2f} s"
        f" ({len(floor_rows)} rows), ratio {took / floor_took:.1f}"
    )
    assert figures(rows) == floor_figures(floor_rows), name


def _median_of_3(run: Callable[[], list[Any]]) -> tuple[float, list[Any]]:
    """The median duration in seconds of 3 calls of ``run``, and its rows."""
    times = []
    for _ in range(3):
        began = time.perf_counter()
        rows = run()
        times.append(time.perf_counter() - began)
    return sorted(times)[1], rows


def _floor(sql: str, params: dict[str, object]) -> list[tuple[object, ...]]:
    from django.db import connection, transaction

    # The same session settings as the reports' statements (reports.sql.fetch).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _figures(rows: list[Any]) -> list[Any]:
    """What a report and its floor must agree on: closing MRR per month, MRR
    per plan and month, open amount per aging bucket (non-empty ones)."""
    if hasattr(rows[0], "closing"):
        return [row.closing for row in rows]
    if hasattr(rows[0], "plan_id"):
        return sorted((row.plan_id, row.subscriptions, row.mrr) for row in rows)
    return [row.amount for row in rows if row.invoices]


def _floor_figures(name: str, rows: list[Any]) -> list[Any]:
    if name.startswith("mrr movements"):
        return [row[2] for row in rows]
    if name == "growth by plan":
        return sorted((row[1], row[2], row[3]) for row in rows)
    return [row[2] for row in sorted(rows)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--reuse", action="store_true", help="keep the filled database")
    parser.add_argument("--database", default=DB_NAME, help="the database to fill or reuse")
    args = parser.parse_args()
    if args.reuse:
        from common import database_url

        os.environ["DATABASE_URL"] = database_url(args.database)
        setup_django()
        from ispstack.core.models import Tenant

        fill_operations_once(Tenant.objects.get(slug="bench"))
    else:
        os.environ["DATABASE_URL"] = bench_database_url(args.database)
        setup_django()
        began = time.perf_counter()
        populate(args.subscriptions)
        print(f"filled {args.subscriptions} subscribers in {time.perf_counter() - began:.0f} s")
    measure(args.months)


if __name__ == "__main__":
    main()
