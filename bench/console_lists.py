"""Benchmark: the console's invoice list on a big table.

    python bench/console_lists.py [--invoices 10000000] [--customers 100000]
                                  [--requests 40] [--reuse]

Fills the database ``ispstack_bench_lists`` (on the server of DATABASE_URL,
or the embedded one) with one tenant, ``--customers`` customers (COPY) and
``--invoices`` invoices written by the server itself (``INSERT ... SELECT
FROM generate_series``: six years of issue dates, a mix of statuses and
totals), then ANALYZE. ``--reuse`` keeps a database already filled with that
many invoices (the fill of 10 million rows takes a while).

Then, in this process, a billing clerk (logged in with Django's test client,
so the whole view runs: middleware, permissions, scoping, filters, table,
template) opens ``/staff/invoices/`` ``--requests`` times for each of:

- the first page (newest first, the default);
- a page in the middle of the list, reached by its keyset cursor
  (``?after=<issue_date>~<id>``), as "next" links give it;
- a filtered page (paid invoices with totals between 300 and 900, sorted by
  issue date).

and prints the p95 and median milliseconds of each, and the p95 of the time
spent in SQL (which must not grow with the table or the page's depth; the
rest is rendering the 50 rows). No page counts the table: above
``COUNT_LIMIT`` estimated rows the list shows no total.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, database_url, libpq, seed_customers, setup_django  # noqa: E402

DB_NAME = "ispstack_bench_lists"

FILL_SQL = """
INSERT INTO billing_invoice (
    tenant_id, created_at, updated_at, customer_id, number, status, currency,
    issue_date, due_date, subtotal, tax_total, total, amount_paid, amount_credited,
    paid_on, pdf, sent_at, tax_note, billing_run_id
)
SELECT
    %(tenant)s, now(), now(),
    %(first_customer)s + (g %% %(customers)s),
    'INV-' || lpad(g::text, 9, '0'),
    CASE WHEN g %% 10 < 7 THEN 'paid' WHEN g %% 10 < 9 THEN 'issued' ELSE 'partially_paid' END,
    'ZAR',
    DATE '2021-01-01' + (g::bigint * 2190 / %(invoices)s)::int,
    DATE '2021-01-15' + (g::bigint * 2190 / %(invoices)s)::int,
    299 + (g %% 5) * 100, (299 + (g %% 5) * 100) * 0.15, (299 + (g %% 5) * 100) * 1.15,
    CASE WHEN g %% 10 < 7 THEN (299 + (g %% 5) * 100) * 1.15 WHEN g %% 10 = 9 THEN 100 ELSE 0 END,
    0, NULL, '', NULL, '', NULL
FROM generate_series(1, %(invoices)s) AS g
"""


def filled(url: str, invoices: int) -> bool:
    """Whether database ``url`` exists and holds ``invoices`` invoices."""
    import psycopg

    try:
        with psycopg.connect(libpq(url)) as conn:
            row = conn.execute("SELECT count(*) FROM billing_invoice").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0] == invoices)


def fill(invoices: int, customers: int) -> None:
    """Migrate, then the tenant, a billing clerk, customers and invoices."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.core.models import Tenant, User

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(
        name="Bench ISP", slug="bench", currency="ZAR", timezone="Africa/Johannesburg", country="ZA"
    )
    clerk = User.objects.create_user(username="clerk", password="x", tenant=tenant, is_staff=True)
    clerk.groups.add(Group.objects.get(name="billing"))
    started = time.perf_counter()
    with transaction.atomic():
        customer_ids = seed_customers(tenant, customers)
    print(f"{customers:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            FILL_SQL,
            {
                "tenant": tenant.pk,
                "first_customer": customer_ids[0],
                "customers": customers,
                "invoices": invoices,
            },
        )
        cursor.execute("ANALYZE")
    print(f"{invoices:,} invoices in {time.perf_counter() - started:.1f} s", flush=True)


def timed(client: object, url: str, requests: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each of ``requests`` GETs of ``url`` (after one warm-up):
    the whole request, and the part spent in SQL."""
    from django.db import connection

    times, sql = [], []
    spent = [0.0]

    def clocked(execute, query, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    client.get(url)  # type: ignore[attr-defined]
    with connection.execute_wrapper(clocked):
        for _ in range(requests):
            spent[0] = 0.0
            started = time.perf_counter()
            answer = client.get(url)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - started) * 1000)
            sql.append(spent[0] * 1000)
            assert answer.status_code == 200, answer.status_code
            assert answer.context["page"].rows, url
    return times, sql


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep an already filled database")
    args = parser.parse_args()

    url = database_url(DB_NAME)
    reuse = args.reuse and filled(url, args.invoices)
    if not reuse:
        url = bench_database_url(DB_NAME)
    os.environ["DATABASE_URL"] = url
    setup_django()
    if not reuse:
        fill(args.invoices, min(args.customers, args.invoices))

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from ispstack.billing.models import Invoice
    from ispstack.core.models import User

    setup_test_environment()  # the test client's response.context
    client = Client()
    client.force_login(User.objects.get(username="clerk"))
    tenant_id = User.objects.get(username="clerk").tenant_id
    middle = (
        Invoice.objects.filter(tenant_id=tenant_id, number=f"INV-{args.invoices // 2:09d}")
        .values("issue_date", "id")
        .get()
    )
    cursor = f"{middle['issue_date'].isoformat()}~{middle['id']}"
    pages = {
        "first page": "/staff/invoices/",
        "middle page (keyset)": f"/staff/invoices/?sort=-issue_date&after={cursor}",
        "filtered page": (
            "/staff/invoices/?status=paid&total_min=300&total_max=900&sort=-issue_date"
        ),
    }
    with connection.cursor() as cur:
        cur.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'billing_invoice'::regclass"
        )
        estimate = cur.fetchone()[0]  # type: ignore[index]
    print(f"billing_invoice: {estimate:,} rows (estimate); {args.requests} requests per page")
    for label, page in pages.items():
        times, sql = timed(client, page, args.requests)
        print(
            f"{label:22} p95 {p95(times):7.1f} ms (median {statistics.median(times):6.1f})"
            f"   of which SQL p95 {p95(sql):6.1f} ms"
        )


if __name__ == "__main__":
    main()
