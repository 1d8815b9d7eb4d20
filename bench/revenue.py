"""Benchmark: the revenue recognition run against its floor.

    python bench/revenue.py [--subscriptions 100000] [--months 12] [--repeat 3] [--fresh]

Fills the database ``ispstack_bench_revenue`` (on the server of
DATABASE_URL, or the embedded one) with the bench tenant, ``--subscriptions``
subscribers (COPY) and ``--months`` monthly invoices each, written by the
server itself (``INSERT ... SELECT FROM generate_series``): one recurring
line per invoice, billed in advance for a month from the subscription's
billing day (spread over days 1..28, so most periods straddle two calendar
months), on the three bench plans. A database already holding those
invoices is reused (``--fresh`` rebuilds it).

Then ``--repeat`` times each, alternating, on an emptied schedule table:

- the floor: one plain ``INSERT ... SELECT`` writing exactly the schedule
  rows of these lines (daily slices per month, cumulative rounding), with
  nothing else to decide: no discount allocation, no one-time items, no
  credit notes or voids, no closed month, no idempotency check;
- the run: ``accounting.services.recognise_revenue`` through the last day,
  as the month close calls it.

Checks both wrote the same rows (count and sum) and prints seconds (median
of the repeats) and the ratio run / floor (target <= 3). Then times a
second run on the full schedule (a no-op: nothing new to schedule).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    bench_database_url,
    bench_tenant,
    database_url,
    libpq,
    seed_subscribers,
    setup_django,
)

DB_NAME = "ispstack_bench_revenue"
FIRST = dt.date(2025, 1, 1)

# Invoice k (0..months-1) of subscription s: issued on its billing day in
# month k; the number is unique per subscription and month.
_INVOICES = """
INSERT INTO billing_invoice (tenant_id, created_at, updated_at, customer_id, number, status,
    currency, issue_date, due_date, subtotal, tax_total, total, amount_paid, amount_credited,
    pdf, tax_note)
SELECT s.tenant_id, now(), now(), s.customer_id, 'INV-' || s.id || '-' || k, 'issued', 'ZAR',
       d.issue, d.issue + 14, p.monthly_price, 0, p.monthly_price, 0, 0, '', ''
FROM subscriptions_subscription s
JOIN catalog_plan p ON p.id = s.plan_id
CROSS JOIN LATERAL generate_series(0, %(months)s - 1) AS k
CROSS JOIN LATERAL (
    SELECT (%(first)s::date + make_interval(months => k) + (s.id %% 28) * interval '1 day')::date
      AS issue) AS d
"""

_LINES = """
INSERT INTO billing_invoiceline (tenant_id, created_at, updated_at, invoice_id, subscription_id,
    kind, description, period_start, period_end, quantity, unit_price, net_amount, tax_rate,
    tax_amount, total)
SELECT i.tenant_id, now(), now(), i.id, s.id, 'recurring', 'Fibre', i.issue_date,
       (i.issue_date + interval '1 month' - interval '1 day')::date, 1, i.subtotal, i.subtotal,
       0, 0, i.subtotal
FROM billing_invoice i JOIN subscriptions_subscription s ON s.customer_id = i.customer_id
"""

_FLOOR = """
INSERT INTO accounting_revenuescheduleentry (tenant_id, created_at, updated_at, source,
    source_id, invoice_line_id, obligation_id, kind, currency, month, amount, recognised_on,
    document_date)
SELECT l.tenant_id, now(), now(), 'line', l.id, l.id, l.id, l.kind, i.currency, m::date,
       round(l.net_amount * (least(l.period_end, (m + interval '1 month - 1 day')::date)
             - l.period_start + 1) / (l.period_end - l.period_start + 1), 2)
       - round(l.net_amount * (greatest(m::date, l.period_start) - l.period_start)
             / (l.period_end - l.period_start + 1), 2),
       least(l.period_end, (m + interval '1 month - 1 day')::date), i.issue_date
FROM billing_invoiceline l
JOIN billing_invoice i ON i.id = l.invoice_id
CROSS JOIN LATERAL generate_series(
    date_trunc('month', l.period_start::timestamp), l.period_end::timestamp, interval '1 month')
    AS m
"""


def filled(url: str, invoices: int) -> bool:
    """Whether database ``url`` exists and holds ``invoices`` invoice lines."""
    import psycopg

    try:
        with psycopg.connect(libpq(url)) as conn:
            row = conn.execute("SELECT count(*) FROM billing_invoiceline").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0] == invoices)


def fill(subscriptions: int, months: int) -> None:
    """The tenant, its subscribers, their invoices and lines, analysed."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic():
        tenant, _vat, plans = bench_tenant()
        seed_subscribers(tenant, plans, subscriptions, start=FIRST)
        with connection.cursor() as cursor:
            cursor.execute(_INVOICES, {"months": months, "first": FIRST})
            cursor.execute(_LINES)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"{subscriptions:,} subscriptions, {subscriptions * months:,} invoices "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def empty_schedule() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounting_revenuescheduleentry")
        cursor.execute("CHECKPOINT")


def schedule_totals() -> tuple[int, object]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(amount) FROM accounting_revenuescheduleentry")
        count, total = cursor.fetchone()
    return count, total


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    args = parser.parse_args()

    url = database_url(DB_NAME)
    reuse = not args.fresh and filled(url, args.subscriptions * args.months)
    if not reuse:
        url = bench_database_url(DB_NAME)
    os.environ["DATABASE_URL"] = url
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from ispstack.accounting.services import recognise_revenue
    from ispstack.core import clock
    from ispstack.core.models import Tenant

    call_command("migrate", verbosity=0)
    if not reuse:
        fill(args.subscriptions, args.months)
    tenant = Tenant.objects.get(slug="bench")
    through = clock.add_months(FIRST, args.months + 1) - dt.timedelta(days=1)

    def floor() -> None:
        with connection.cursor() as cursor:
            # As the run does: no JIT for a statement the planner overestimates.
            cursor.execute("SET jit = off")
            cursor.execute(_FLOOR)

    def run() -> None:
        recognise_revenue(tenant=tenant, through=through)

    floors, runs, totals = [], [], {}
    for _ in range(args.repeat):
        for name, step, times in (("floor", floor, floors), ("run", run, runs)):
            empty_schedule()
            times.append(timed(step))
            totals[name] = schedule_totals()
    assert totals["floor"] == totals["run"], totals
    rerun = timed(run)
    assert schedule_totals() == totals["run"]
    floor_s, run_s = statistics.median(floors), statistics.median(runs)
    rows, amount = totals["run"]
    print(f"lines: {args.subscriptions * args.months:,}; schedule rows: {rows:,}, sum {amount}")
    print(f"floor (one plain INSERT ... SELECT of the rows): {floor_s:8.2f} s")
    print(
        f"recognise_revenue:                              {run_s:8.2f} s"
        f"   ratio {run_s / floor_s:.2f} (target <= 3)"
    )
    print(f"recognise_revenue again (nothing new):          {rerun:8.2f} s")


if __name__ == "__main__":
    main()
