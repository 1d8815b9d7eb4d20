"""Benchmark: staff console pages on a large tenant against a bare Django floor.

    python bench/console.py [--customers 100000] [--months 60] [--requests 200]
                            [--measure 360,360-invoices,search] [--rebuild]

Data (built once into the dedicated database ``ispstack_bench_console``,
reused while it holds the same size; ``--rebuild`` forces a new one): one
tenant, three plans, N customers each with one active subscription and its
billing state, and M months of monthly invoices per customer (``INSERT ...
SELECT generate_series`` on the server, no Python per row); the invoices of
the last ``--paid-months`` months (12) but the current one are paid by a
payment allocated to each, older ones are marked paid without payment rows
(six million payments and allocations more would double the build, and the
payments panel reads one page by the customer's index either way). Invoice lines, sessions, usage
and audit rows are not built: the measured panels do not read them, or read
them by an index on one subscriber (sessions, usage).

Each measurement requests its URL ``--requests`` times for random customers
over HTTP from this process to the production server, waitress serving the
WSGI application as ``ispstack serve`` does (the whole middleware stack:
sessions, auth, OTP, CSP, tenancy), started as a child process on a free
port of 127.0.0.1, as a logged-in tenant admin on a keep-alive connection.
The server runs as production does (docs/install.md): several processes
sharing one Redis, ``REDIS_CACHE_URL`` (``--redis``, default the local
Redis' database 15 when one answers), so sessions, permissions and OTP
devices are read from the shared cache (``core.auth_cache``); ``--redis
''`` measures without it.
It compares each p95 with the floor: a bare view on the same server that
reads the same customer by primary key and returns its name. It prints both
p95 figures and the ratio against the target (at most 3x the floor).

Add a measurement: a function ``(customer_id, rng) -> url`` in
``MEASUREMENTS``; ``--measure`` picks them by name.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_floor  # noqa: E402
from common import (  # noqa: E402
    bench_tenant,
    database_url,
    load_without_plain_indexes,
    months_back,
    seed_subscribers,
)

DB_NAME = "ispstack_bench_console"
TARGET_RATIO = 3.0

MEASUREMENTS: dict[str, Callable[[int, random.Random], str]] = {
    # The console's fixed cost: its dashboard (login, OTP and permission checks, the layout).
    "home": lambda pk, rng: "/staff/",
    # The Customer 360 as it opens (summary and subscriptions panel).
    "360": lambda pk, rng: f"/staff/customers/{pk}/",
    # Its heaviest money panel: 60 invoices and credit notes.
    "360-invoices": lambda pk, rng: f"/staff/customers/{pk}/?tab=invoices",
    "360-payments": lambda pk, rng: f"/staff/customers/{pk}/?tab=payments",
    # The same panels as a click on their tab fetches them (HTMX: the panel alone).
    "360-invoices-tab": lambda pk, rng: f"/staff/customers/{pk}/?tab=invoices",
    "360-payments-tab": lambda pk, rng: f"/staff/customers/{pk}/?tab=payments",
    # The global search as it is today: an account number typed in the top bar.
    "search": lambda pk, rng: f"/staff/search/?q=CT-2026-{rng.randint(1, SIZE['n']):06d}",
}
SIZE = {"n": 0}
# Measurements requested as HTMX does (``HX-Request: true``).
HTMX = {"360-invoices-tab", "360-payments-tab"}


def build(n: int, months: int, paid_months: int) -> None:
    """Migrate and fill the database (see the module docstring)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.core import clock

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    tenant, vat, plans = bench_tenant()
    today = clock.today(tenant)
    start = months_back(today, months)
    with transaction.atomic():
        seed_subscribers(tenant, plans, n, start=start)
    print(f"  {n} customers and subscriptions: {time.perf_counter() - started:.0f} s", flush=True)
    steps = [
        (
            "billing state",
            """INSERT INTO billing_subscriptionbilling
                 (subscription_id, tenant_id, billed_through, next_bill_date, version)
               SELECT s.id, s.tenant_id,
                      (date_trunc('month', %(today)s::date) + interval '1 month - 1 day')::date,
                      (date_trunc('month', %(today)s::date) + interval '1 month')::date, 1
               FROM subscriptions_subscription s WHERE s.tenant_id = %(tenant)s""",
        ),
        (
            "invoices",
            """INSERT INTO billing_invoice
                 (tenant_id, created_at, updated_at, customer_id, number, status, currency,
                  issue_date, due_date, subtotal, tax_total, total, amount_paid,
                  amount_credited, paid_on, pdf, sent_at, tax_note, billing_run_id)
               SELECT c.tenant_id, now(), now(), c.id,
                      'INV-' || c.id || '-' || m,
                      CASE WHEN m < %(months)s - 1 THEN 'paid' ELSE 'issued' END, 'ZAR',
                      (%(start)s::date + make_interval(months => m))::date,
                      (%(start)s::date + make_interval(months => m))::date + 14,
                      499.00, 74.85, 573.85,
                      CASE WHEN m < %(months)s - 1 THEN 573.85 ELSE 0 END, 0,
                      CASE WHEN m < %(months)s - 1
                           THEN (%(start)s::date + make_interval(months => m))::date + 10 END,
                      '', now(), '', NULL
               FROM customers_customer c
               CROSS JOIN generate_series(0, %(months)s - 1) AS m
               WHERE c.tenant_id = %(tenant)s""",
        ),
        (
            "payments",
            """INSERT INTO payments_payment
                 (tenant_id, created_at, updated_at, customer_id, amount, currency,
                  received_on, method, reference, unallocated, recorded_by_id,
                  reversed_on, reversal_reason)
               SELECT i.tenant_id, now(), now(), i.customer_id, i.total, i.currency,
                      i.paid_on, 'bank_transfer', i.number, 0, NULL, NULL, ''
               FROM billing_invoice i WHERE i.tenant_id = %(tenant)s AND i.status = 'paid'
                 AND i.issue_date >= (%(start)s::date + make_interval(months => %(paid_from)s))""",
        ),
        (
            "allocations",
            """INSERT INTO payments_allocation
                 (tenant_id, created_at, updated_at, payment_id, credit_note_id, invoice_id,
                  refund_id, amount)
               SELECT p.tenant_id, now(), now(), p.id, NULL, i.id, NULL, p.amount
               FROM payments_payment p
               JOIN billing_invoice i ON i.tenant_id = p.tenant_id AND i.number = p.reference
               WHERE p.tenant_id = %(tenant)s""",
        ),
    ]
    params = {
        "tenant": tenant.pk,
        "months": months,
        "start": start,
        "today": today,
        "paid_from": months - 1 - paid_months,
    }
    tables = ["billing_invoice", "payments_payment", "payments_allocation"]
    load_without_plain_indexes(tables, steps, params)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def timed(
    http: Any, base: str, urls: list[str], headers: dict[str, str] | None = None
) -> list[float]:
    """Milliseconds of each GET, body read, asserting each answers 200."""
    samples = []
    for url in urls:
        began = time.perf_counter()
        answer = http.get(base + url, allow_redirects=False, headers=headers)
        _ = answer.content
        samples.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{url} answered {answer.status_code}")
    return samples


def measure(names: list[str], requests: int) -> dict[str, tuple[float, float]]:
    """p95 of each named measurement and of the floor, in ms: ``{name: (page, floor)}``."""
    import requests as http_client
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test import Client

    from ispstack.core.models import Tenant, User
    from ispstack.core.roles import ensure_roles
    from ispstack.customers.models import Customer

    tenant = Tenant.objects.get(slug="bench")
    ensure_roles()
    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"tenant": tenant, "is_staff": True}
    )
    user.groups.add(Group.objects.get(name="admin"))
    # A session row as a login makes it; the server reads it like any other.
    login = Client()
    login.force_login(user)
    http = http_client.Session()
    cookie = settings.SESSION_COOKIE_NAME
    http.cookies.set(cookie, login.cookies[cookie].value)
    ids = list(Customer.objects.filter(tenant=tenant).values_list("pk", flat=True))
    SIZE["n"] = len(ids)
    server, base = http_floor.start_server(__file__)
    results = {}
    try:
        for name in names:
            rng = random.Random(2026)
            picks = [rng.choice(ids) for _ in range(requests)]
            page_urls = [MEASUREMENTS[name](pk, rng) for pk in picks]
            floor_urls = [http_floor.FLOOR_URL.format(pk=pk) for pk in picks]
            headers = {"HX-Request": "true"} if name in HTMX else None
            timed(http, base, page_urls[:10], headers)  # warm caches and connections
            timed(http, base, floor_urls[:10])
            # Alternated request by request, so a burst of load on a shared
            # machine hits both alike (halves left the p95 of one at a burst's mercy).
            page, floor = [], []
            for page_url, floor_url in zip(page_urls, floor_urls, strict=True):
                floor += timed(http, base, [floor_url])
                page += timed(http, base, [page_url], headers)
            results[name] = (http_floor.p95(page), http_floor.p95(floor))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=60, help="months of invoices each")
    parser.add_argument(
        "--paid-months",
        type=int,
        default=12,
        help="months of payments (with their allocations) each, the latest ones",
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--measure",
        default="home,360,360-invoices,360-payments,360-invoices-tab,360-payments-tab,search",
        help=f"comma-separated, of: {', '.join(MEASUREMENTS)}",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument(
        "--redis",
        help="REDIS_CACHE_URL of the server (default: the local Redis' database 15 if it answers)",
    )
    parser.add_argument("--serve-on", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_on:
        os.environ["DATABASE_URL"] = database_url(DB_NAME)
        http_floor.serve(args.serve_on, 8)
        return
    names = [n.strip() for n in args.measure.split(",") if n.strip()]
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(unknown)}")
    if args.customers < 1 or args.months < 1 or args.requests < 20:
        parser.error("--customers and --months must be at least 1, --requests at least 20")

    redis = http_floor.use_redis(args.redis)
    wanted = (args.customers, args.months, min(args.paid_months, args.months - 1))
    http_floor.use_database(
        DB_NAME,
        wanted,
        build,
        rebuild=args.rebuild,
        what=f"{wanted[0]} customers x {wanted[1]} months of invoices, "
        f"the last {wanted[2]} months paid",
    )

    print(
        f"{args.requests} requests each, random customers, over HTTP to waitress on 127.0.0.1 "
        f"({'shared cache ' + redis if redis else 'no shared cache'}); "
        f"target: p95 <= {TARGET_RATIO:g}x the floor (a bare view reading the customer by id)."
    )
    failed = False
    for name, (page, floor) in measure(names, args.requests).items():
        ratio = page / floor
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
        failed |= ratio > TARGET_RATIO
        print(
            f"{name:>14}: p95 {page:7.1f} ms | floor p95 {floor:6.1f} ms | "
            f"ratio {ratio:4.1f}x (target <= {TARGET_RATIO:g}x) {verdict}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
