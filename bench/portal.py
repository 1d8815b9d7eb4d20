"""Benchmark: the customer portal's dashboard under 50 concurrent customers
against a bare Django floor on the same server.

    python bench/portal.py [--customers 20000] [--months 24] [--clients 50]
                           [--requests 40] [--rebuild]

Data (built once into the dedicated database ``ispstack_bench_portal``,
reused while it holds the same size; ``--rebuild`` forces a new one): one
tenant ``bench``, three uncapped plans, N customers each with one active
subscription (billing day 1) and its billing state, M months of monthly
invoices (all but the current one paid, each by a payment allocated to it),
a daily usage row per subscription for each day of the current cycle so
far, an open accounting session per subscription, and a portal user per
customer (``s<i>@example.net``, one password hash for all). Rows are made on
the server by ``INSERT ... SELECT generate_series`` and COPY
(``bench/common.py``), no Python per row. Two customers are shaped for the
query count: ``CT-2026-000001`` has one invoice, no usage and no session;
``CT-2026-000002`` has three subscriptions, every month's invoices, usage
and an open session on each and ten closed sessions more.

Queries per page: before measuring, the dashboard is requested in this
process (``django.test.Client``, same settings and cache as the server) for
those two customers, after one warming request each, and its queries are
counted; the bench fails if the counts differ (the page's cost must not grow
with the account's history).

Measurement: ``--clients`` concurrent clients (threads, a keep-alive
``requests.Session`` each), each signed in to the portal as a different
customer (a portal session made by ``portal.auth.sign_in``, stored as a
sign-in stores it), request ``/my/bench/`` ``--requests`` times each, over
HTTP to the production server: waitress serving the WSGI application as
``ispstack serve`` does (the whole middleware stack: sessions, portal hosts,
CSP, tenancy) with 8 threads, started as a child process on a free port of
127.0.0.1. The floor is a bare view on the same server that reads the same
customer by primary key and returns its name, requested by the same clients
the same way. Floor and page alternate in halves, so drift on a shared
machine hits both alike. As production runs (docs/install.md), the server
uses the shared cache ``REDIS_CACHE_URL`` (``--redis``, default the local
Redis' database 15 when one answers; ``--redis ''`` measures without it).

It prints the size, the concurrency, both p95 figures over all requests,
their ratio against the target (at most 3x the floor) and the queries per
page. The exit status is 0 when the figures were measured, over target or
not; it is non-zero on errors: an answer other than 200, or query counts
that differ between the two customers.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
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

DB_NAME = "ispstack_bench_portal"
TARGET_RATIO = 3.0
SERVER_THREADS = 8
TENANT_SLUG = "bench"
LIGHT = "CT-2026-000001"  # one invoice, no usage, no session
HEAVY = "CT-2026-000002"  # three services, all the history


def build(n: int, months: int) -> None:
    """Migrate and fill the database (see the module docstring)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.core import clock
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.subscriptions.models import Subscription

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    tenant, vat, plans = bench_tenant()
    today = clock.today(tenant)
    start = months_back(today, months)
    with transaction.atomic():
        sub_ids = seed_subscribers(tenant, plans, n, start=start)
        # The heavy customer's two more services, on its first one's plan.
        heavy = Subscription.objects.get(pk=sub_ids[1])
        extra_ids = reserve_ids(Subscription, 2)
        copy_rows(
            Subscription,
            ("id", "tenant", "customer", "plan", "username", "password", "billing_day")
            + ("start_date", "status"),
            (
                (sid, tenant.pk, heavy.customer_id, heavy.plan_id, f"heavy{k}@isp.example")
                + ("pw123456", 1, start, "active")
                for k, sid in enumerate(extra_ids, 2)
            ),
        )
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
               WHERE c.tenant_id = %(tenant)s
                 AND (c.account_number <> %(light)s OR m = %(months)s - 1)""",
        ),
        (
            "payments",
            """INSERT INTO payments_payment
                 (tenant_id, created_at, updated_at, customer_id, amount, currency,
                  received_on, method, reference, unallocated, recorded_by_id,
                  reversed_on, reversal_reason)
               SELECT i.tenant_id, now(), now(), i.customer_id, i.total, i.currency,
                      i.paid_on, 'bank_transfer', i.number, 0, NULL, NULL, ''
               FROM billing_invoice i WHERE i.tenant_id = %(tenant)s AND i.status = 'paid'""",
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
        (
            "daily usage rows",
            """INSERT INTO usage_dailyusage
                 (tenant_id, created_at, updated_at, subscription_id, day, input_octets,
                  output_octets)
               SELECT s.tenant_id, now(), now(), s.id, d::date,
                      200000000 + (s.id * 7919 + (d::date - '2000-01-01'::date)) %% 900000000,
                      2000000000 + (s.id * 104729 + (d::date - '2000-01-01'::date)) %% 9000000000
               FROM subscriptions_subscription s
               JOIN customers_customer c ON c.id = s.customer_id
               CROSS JOIN generate_series(
                   date_trunc('month', %(today)s::date), %(today)s::date, interval '1 day') AS d
               WHERE s.tenant_id = %(tenant)s AND c.account_number <> %(light)s""",
        ),
        (
            "accounting sessions",
            """INSERT INTO radacct
                 (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime,
                  acctupdatetime, acctstoptime, acctsessiontime, acctinputoctets,
                  acctoutputoctets, framedipaddress, acctterminatecause)
               SELECT 'bench-' || s.id || '-' || k, md5('bench-' || s.id || '-' || k),
                      s.username, '10.255.0.1',
                      now() - make_interval(hours => 2 + k * 12),
                      CASE WHEN k = 0 THEN now() - interval '3 minutes'
                           ELSE now() - make_interval(hours => 2 + k * 12 - 6) END,
                      CASE WHEN k = 0 THEN NULL
                           ELSE now() - make_interval(hours => 2 + k * 12 - 6) END,
                      CASE WHEN k = 0 THEN NULL ELSE 21600 END,
                      123456789, 987654321,
                      ('100.64.0.0'::inet + s.id %% 4000000),
                      CASE WHEN k = 0 THEN NULL ELSE 'User-Request' END
               FROM subscriptions_subscription s
               JOIN customers_customer c ON c.id = s.customer_id
               CROSS JOIN generate_series(0, 10) AS k
               WHERE s.tenant_id = %(tenant)s AND c.account_number <> %(light)s
                 AND (k = 0 OR c.account_number = %(heavy)s)""",
        ),
        (
            "portal users",
            """INSERT INTO portal_portaluser
                 (tenant_id, created_at, updated_at, customer_id, email, name, role, password,
                  is_active, invited_at, last_login, language, sms_sign_in)
               SELECT c.tenant_id, now(), now(), c.id, c.email, c.name, 'owner',
                      %(password)s, true, now(), NULL, '', false
               FROM customers_customer c WHERE c.tenant_id = %(tenant)s""",
        ),
    ]
    params: dict[str, Any] = {
        "tenant": tenant.pk,
        "months": months,
        "start": start,
        "today": today,
        "light": LIGHT,
        "heavy": HEAVY,
        "password": make_password("pw123456"),
    }
    tables = [
        "billing_invoice",
        "payments_payment",
        "payments_allocation",
        "usage_dailyusage",
        "radacct",
        "portal_portaluser",
    ]
    load_without_plain_indexes(tables, steps, params)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def portal_session(user: Any) -> str:
    """The key of a new session holding ``user``'s portal sign-in, stored as
    the login view stores it (``portal.auth.sign_in``)."""
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    from ispstack.portal.auth import sign_in

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    sign_in(request, user)
    request.session.save()
    return str(request.session.session_key)


def queries_per_page() -> dict[str, int]:
    """Queries of one dashboard request for the light and the heavy customer
    (after a warming request each), in this process: ``{account: count}``."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ispstack.portal.models import PortalUser

    counts = {}
    for account in (LIGHT, HEAVY):
        user = PortalUser.objects.get(tenant__slug=TENANT_SLUG, customer__account_number=account)
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = portal_session(user)
        for counting in (False, True):
            with CaptureQueriesContext(connection) as captured:
                answer = client.get(f"/my/{TENANT_SLUG}/")
            if answer.status_code != 200:
                raise SystemExit(f"the dashboard of {account} answered {answer.status_code}")
            if counting:
                counts[account] = len(captured.captured_queries)
    return counts


def measure(clients: int, requests: int, seed: int) -> tuple[float, float, int]:
    """p95 of the dashboard and of the floor in ms, and the number of requests
    of each, ``clients`` at once (see the module docstring)."""
    import requests as http_client
    from django.conf import settings

    from ispstack.portal.models import PortalUser

    users = list(
        PortalUser.objects.filter(tenant__slug=TENANT_SLUG)
        .exclude(customer__account_number__in=[LIGHT, HEAVY])
        .select_related("customer", "tenant")
        .order_by("pk")
    )
    if len(users) < clients:
        raise SystemExit(f"{clients} clients need {clients} customers; the data holds fewer")
    chosen = random.Random(seed).sample(users, clients)
    cookie = settings.SESSION_COOKIE_NAME
    sessions = []
    for user in chosen:
        http = http_client.Session()
        http.cookies.set(cookie, portal_session(user))
        sessions.append(http)
    page_urls = [f"/my/{TENANT_SLUG}/"] * clients
    floor_urls = [http_floor.FLOOR_URL.format(pk=user.customer_id) for user in chosen]
    server, base = http_floor.start_server(__file__)
    try:
        return http_floor.against_floor(sessions, base, page_urls, floor_urls, requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
        for http in sessions:
            http.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=24, help="months of invoices each")
    parser.add_argument("--clients", type=int, default=50, help="concurrent customers")
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--seed", type=int, default=2026, help="which customers sign in")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument(
        "--redis",
        help="REDIS_CACHE_URL of the server (default: the local Redis' database 15 if it answers)",
    )
    parser.add_argument("--serve-on", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_on:
        os.environ["DATABASE_URL"] = database_url(DB_NAME)
        http_floor.serve(args.serve_on, SERVER_THREADS)
        return
    if args.customers < args.clients + 2 or args.months < 1:
        parser.error("--customers must exceed --clients by 2, --months be at least 1")
    if args.clients < 1 or args.requests < 2:
        parser.error("--clients must be at least 1, --requests at least 2")

    redis = http_floor.use_redis(args.redis)
    wanted = (args.customers, args.months)
    http_floor.use_database(
        DB_NAME,
        wanted,
        build,
        rebuild=args.rebuild,
        what=f"{wanted[0]} customers x {wanted[1]} months of invoices and payments, "
        "this cycle's daily usage, sessions and portal users",
    )

    counts = queries_per_page()
    print(
        f"Queries per dashboard: {counts[LIGHT]} (1 invoice, no usage) | "
        f"{counts[HEAVY]} (3 services, {args.months} months, usage, 11 sessions each)"
    )
    if counts[LIGHT] != counts[HEAVY]:
        raise SystemExit("the dashboard's queries grow with the account: counts differ")

    print(
        f"{args.clients} concurrent customers x {args.requests} requests each, over HTTP to "
        f"waitress ({SERVER_THREADS} threads) on 127.0.0.1 "
        f"({'shared cache ' + redis if redis else 'no shared cache'}); target: p95 <= "
        f"{TARGET_RATIO:g}x the floor (a bare view reading the customer by id)."
    )
    page, floor, total = measure(args.clients, args.requests, args.seed)
    ratio = page / floor
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(
        f"dashboard: p95 {page:7.1f} ms | floor p95 {floor:6.1f} ms | ratio {ratio:4.1f}x "
        f"(target <= {TARGET_RATIO:g}x) {verdict} | {total} requests each | "
        f"{counts[HEAVY]} queries per page"
    )


if __name__ == "__main__":
    main()
