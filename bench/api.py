"""Benchmark: the REST API's invoice list and invoice detail under 50
concurrent clients against a bare DRF endpoint returning the same rows from
the same server.

    python bench/api.py [--customers 2000] [--months 60] [--clients 50]
                        [--requests 20] [--runs 3] [--rebuild]

Data (built once into the dedicated database ``ispstack_bench_api``, reused
while it holds the same size; ``--rebuild`` forces a new one): one tenant
``bench``, N customers each with one active subscription and M months of
monthly invoices (5 years by default), each invoice with two lines (the
plan's recurring line and a one-time line), all but the last month's paid;
a staff user of the ``billing`` role with one API token per client. Rows are
made on the server by ``INSERT ... SELECT generate_series`` (no Python per
row).

Measurement: ``--clients`` concurrent clients (threads, a keep-alive
``requests.Session`` each, each with its own API token and its own
customer) each request ``--requests`` times

- the list: ``GET /api/v1/invoices/?customer=<id>`` (the first page: 50
  invoices with their lines, and the count);
- the detail: ``GET /api/v1/invoices/<id>/`` (one invoice with its lines);

over HTTP to the production server (waitress serving the WSGI application as
``ispstack serve`` does, the whole middleware stack, 8 threads) started as a
child process on a free port of 127.0.0.1. Each has its floor on the same
server: a bare DRF ``APIView`` with the same token authentication and rate
throttle, no permissions beyond being signed in, no serializer, no filter
backend and no pagination, returning the same invoices (the same 50, in the
same order) and lines as ``.values()`` rows. Floor and endpoint alternate in
halves, so drift on a shared machine hits both alike. The server uses the
shared cache as production does (``--redis``, default the local Redis'
database 15 when one answers).

It prints, for the list and the detail, both p95 figures over all requests
of each of ``--runs`` runs and their ratio, then the median ratio against
the target (at most 3x the floor). The exit status
is 1 when a ratio is over the target or on errors (an answer other than
200, named).
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

DB_NAME = "ispstack_bench_api"
TARGET_RATIO = 3.0
SERVER_THREADS = 8
PAGE = 50
LIST_FLOOR = "/bench/api-floor/invoices/"
DETAIL_FLOOR = "/bench/api-floor/invoices/{pk}/"


def build(n: int, months: int) -> None:
    """Migrate and fill the database (see the module docstring)."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.core import clock
    from ispstack.core.models import User
    from ispstack.core.roles import ensure_roles

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    ensure_roles()
    tenant, _vat, plans = bench_tenant()
    today = clock.today(tenant)
    start = months_back(today, months)
    with transaction.atomic():
        seed_subscribers(tenant, plans, n, start=start)
        user = User.objects.create_user(
            username="bench-api", password=None, is_staff=True, tenant=tenant
        )
        user.groups.add(Group.objects.get(name="billing"))
    print(f"  {n} customers and subscriptions: {time.perf_counter() - started:.0f} s", flush=True)
    steps = [
        (
            "invoices",
            """INSERT INTO billing_invoice
                 (tenant_id, created_at, updated_at, customer_id, number, status, currency,
                  issue_date, due_date, subtotal, tax_total, total, amount_paid,
                  amount_credited, paid_on, pdf, sent_at, tax_note, billing_run_id)
               SELECT c.tenant_id, now(), now(), c.id,
                      'INV-' || c.id || '-' || lpad(m::text, 3, '0'),
                      CASE WHEN m < %(months)s - 1 THEN 'paid' ELSE 'issued' END, 'ZAR',
                      (%(start)s::date + make_interval(months => m))::date,
                      (%(start)s::date + make_interval(months => m))::date + 14,
                      548.00, 82.20, 630.20,
                      CASE WHEN m < %(months)s - 1 THEN 630.20 ELSE 0 END, 0,
                      CASE WHEN m < %(months)s - 1
                           THEN (%(start)s::date + make_interval(months => m))::date + 10 END,
                      '', now(), '', NULL
               FROM customers_customer c
               CROSS JOIN generate_series(0, %(months)s - 1) AS m
               WHERE c.tenant_id = %(tenant)s""",
        ),
        (
            "invoice lines",
            """INSERT INTO billing_invoiceline
                 (tenant_id, created_at, updated_at, invoice_id, subscription_id, kind,
                  description, period_start, period_end, quantity, unit_price, net_amount,
                  tax_rate, tax_amount, total, charge_id, subscription_addon_id)
               SELECT i.tenant_id, now(), now(), i.id, s.id,
                      CASE WHEN k = 0 THEN 'recurring' ELSE 'one_time' END,
                      CASE WHEN k = 0 THEN 'Fibre 50 ' || to_char(i.issue_date, 'YYYY-MM')
                           ELSE 'Router rental' END,
                      CASE WHEN k = 0 THEN i.issue_date END,
                      CASE WHEN k = 0
                           THEN (i.issue_date + interval '1 month - 1 day')::date END,
                      1, CASE WHEN k = 0 THEN 499.00 ELSE 49.00 END,
                      CASE WHEN k = 0 THEN 499.00 ELSE 49.00 END, 15,
                      CASE WHEN k = 0 THEN 74.85 ELSE 7.35 END,
                      CASE WHEN k = 0 THEN 573.85 ELSE 56.35 END, NULL, NULL
               FROM billing_invoice i
               JOIN subscriptions_subscription s ON s.customer_id = i.customer_id
               CROSS JOIN generate_series(0, 1) AS k
               WHERE i.tenant_id = %(tenant)s""",
        ),
    ]
    params: dict[str, Any] = {"tenant": tenant.pk, "months": months, "start": start}
    load_without_plain_indexes(["billing_invoice", "billing_invoiceline"], steps, params)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def floors() -> list[Any]:
    """The floor views' URL patterns (see the module docstring); made once
    Django is set up, in the server process."""
    from django.urls import path
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from ispstack.billing.api.serializers import InvoiceLineSerializer, InvoiceSerializer
    from ispstack.billing.models import Invoice, InvoiceLine

    # The serializer's columns (not its computed amount due, nor the nested lines).
    invoice_fields = [
        name for name in InvoiceSerializer.Meta.fields if name not in ("lines", "amount_due")
    ]
    line_fields = InvoiceLineSerializer.Meta.fields

    def with_lines(invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_invoice: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in invoices}
        for line in (
            InvoiceLine.objects.filter(invoice_id__in=list(by_invoice))
            .order_by("invoice", "id")
            .values("invoice", *line_fields)
        ):
            by_invoice[line.pop("invoice")].append(line)
        for row in invoices:
            row["lines"] = by_invoice[row["id"]]
        return invoices

    class FloorList(APIView):
        permission_classes = [IsAuthenticated]

        def get(self, request: Request) -> Response:
            invoices = list(
                Invoice.objects.filter(
                    tenant_id=request.user.tenant_id, customer_id=request.query_params["customer"]
                )
                .order_by("-issue_date", "-number")
                .values(*invoice_fields)[:PAGE]
            )
            return Response(with_lines(invoices))

    class FloorDetail(APIView):
        permission_classes = [IsAuthenticated]

        def get(self, request: Request, pk: int) -> Response:
            invoice = (
                Invoice.objects.filter(tenant_id=request.user.tenant_id, pk=pk)
                .values(*invoice_fields)
                .get()
            )
            return Response(with_lines([invoice])[0])

    return [
        path(LIST_FLOOR.lstrip("/"), FloorList.as_view()),
        path(DETAIL_FLOOR.replace("{pk}", "<int:pk>").lstrip("/"), FloorDetail.as_view()),
    ]


def measure(clients: int, requests: int, seed: int) -> dict[str, tuple[float, float, int]]:
    """``{"list" | "detail": (p95 ms, floor p95 ms, requests)}``, ``clients``
    at once (see the module docstring)."""
    import requests as http_client

    from ispstack.api.models import ApiToken
    from ispstack.api.tokens import create_token
    from ispstack.billing.models import Invoice
    from ispstack.core.models import User

    user = User.objects.get(username="bench-api")
    customers = list(
        Invoice.objects.filter(tenant=user.tenant_id).values_list("customer", flat=True).distinct()
    )
    if len(customers) < clients:
        raise SystemExit(f"{clients} clients need {clients} customers; the data holds fewer")
    chosen = random.Random(seed).sample(sorted(customers), clients)
    invoices = [
        Invoice.objects.filter(customer=customer).order_by("?").values_list("pk", flat=True)[0]
        for customer in chosen
    ]
    sessions = []
    tokens = []
    for k in range(clients):
        token, raw = create_token(user=user, name=f"bench client {k}")
        tokens.append(token.pk)
        http = http_client.Session()
        http.headers["Authorization"] = f"Bearer {raw}"
        sessions.append(http)
    urls = {
        "list": (
            [f"/api/v1/invoices/?customer={c}" for c in chosen],
            [f"{LIST_FLOOR}?customer={c}" for c in chosen],
        ),
        "detail": (
            [f"/api/v1/invoices/{pk}/" for pk in invoices],
            [DETAIL_FLOOR.format(pk=pk) for pk in invoices],
        ),
    }
    server, base = http_floor.start_server(__file__)
    results = {}
    try:
        for name, (page_urls, floor_urls) in urls.items():
            results[name] = http_floor.against_floor(
                sessions, base, page_urls, floor_urls, requests
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        for http in sessions:
            http.close()
        # The database is reused: the next run makes its own tokens.
        ApiToken.objects.filter(pk__in=tokens).delete()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=60, help="months of invoices each")
    parser.add_argument("--clients", type=int, default=50, help="concurrent API clients")
    parser.add_argument("--requests", type=int, default=20, help="requests per client and URL")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median ratio counts")
    parser.add_argument("--seed", type=int, default=2026, help="which customers are listed")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument(
        "--redis",
        help="REDIS_CACHE_URL of the server (default: the local Redis' database 15 if it answers)",
    )
    parser.add_argument("--serve-on", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_on:
        os.environ["DATABASE_URL"] = database_url(DB_NAME)
        http_floor.serve(args.serve_on, SERVER_THREADS, floors)
        return
    if args.customers < args.clients or args.months < 1:
        parser.error("--customers must be at least --clients, --months at least 1")
    if args.clients < 1 or args.requests < 2 or args.runs < 1:
        parser.error("--clients and --runs must be at least 1, --requests at least 2")

    redis = http_floor.use_redis(args.redis)
    wanted = (args.customers, args.months)
    http_floor.use_database(
        DB_NAME,
        wanted,
        build,
        rebuild=args.rebuild,
        what=f"{wanted[0]} customers x {wanted[1]} months of invoices with two lines each",
    )

    print(
        f"{args.clients} concurrent API clients x {args.requests} requests each, over HTTP to "
        f"waitress ({SERVER_THREADS} threads) on 127.0.0.1 "
        f"({'shared cache ' + redis if redis else 'no shared cache'}); target: p95 <= "
        f"{TARGET_RATIO:g}x a bare DRF view returning the same rows."
    )
    labels = {"list": f"invoice list ({PAGE} with lines)", "detail": "one invoice"}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in labels}
    for run in range(1, args.runs + 1):
        results = measure(args.clients, args.requests, args.seed + run)
        for name, label in labels.items():
            page, floor, total = results[name]
            runs[name].append((page / floor, page, floor))
            print(
                f"  run {run}, {label}: p95 {page:7.1f} ms | floor p95 {floor:6.1f} ms | "
                f"ratio {page / floor:4.2f}x | {total} requests of each",
                flush=True,
            )
    over = False
    for name, label in labels.items():
        # The run of the median ratio (the upper one of an even count).
        ratio, page, floor = sorted(runs[name])[len(runs[name]) // 2]
        over |= ratio > TARGET_RATIO
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
        print(
            f"{label}: p95 {page:7.1f} ms | floor p95 {floor:6.1f} ms | ratio {ratio:4.2f}x, "
            f"median of {args.runs} runs (target <= {TARGET_RATIO:g}x) {verdict}"
        )
    if over:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
