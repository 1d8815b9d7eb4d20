"""Benchmark: the console's global search at N customers against 100 ms.

    python bench/console_search.py [--customers 100000] [--searches 200] [--fresh]

Fills the database ``ispstack_bench_search`` on the server of DATABASE_URL
(or the embedded one) with N customers (random names, emails, phones), one
subscription each with a pool IPv4 address and a delegated IPv6 /56, one
invoice each, a payment with a bank reference for every second customer,
a saved bank account for every tenth and RADIUS sessions (every third
subscriber online with a dynamic address), all written with COPY; plus a second
tenant with a few customers of the same names (that search must not find).
The database is reused by the next run when it holds N customers (``--fresh``
rebuilds it).

Then it runs ``--searches`` searches of mixed kinds (name fragment, full
name, misspelt name, account number, username, username prefix, IPv4
address, a dynamic address of an open RADIUS session, an address inside a
delegated prefix, invoice number, payment
reference, IBAN digits) as the tenant's admin, twice over: the search itself
(``console.search.search``) and the whole results page through Django's
test client (session, permissions, template). It prints p50 / p95 / max in
ms for each against the 100 ms target, with the time spent in the database
queries of the search (as Django times them) and the machine's load average,
since a busy machine slows everything down, and the p95 of a primary-key
read of a customer interleaved with the searches (the floor under the same
load) with the ratio search / floor.

``run(customers, searches)`` does the same and returns the figures, for a
caller such as a console-wide benchmark.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import random
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, database_url, libpq, setup_django  # noqa: E402

DB_NAME = "ispstack_bench_search"
TARGET_MS = 100.0
SLUG = "bench-search"

FIRST = (
    "Thandiwe",
    "Sipho",
    "Lindiwe",
    "Johan",
    "Pieter",
    "Anele",
    "Naledi",
    "Kagiso",
    "Zanele",
    "Themba",
    "Ayesha",
    "Ravi",
    "Priya",
    "Maria",
    "Jan",
    "Anna",
    "Lukas",
    "Sofia",
    "Mohammed",
    "Fatima",
    "Chen",
    "Wei",
    "Yuki",
    "Kenji",
    "Olga",
    "Ivan",
    "Grace",
    "Peter",
    "Ruth",
    "David",
    "Sarah",
    "Michael",
    "Nomsa",
    "Bongani",
    "Tshepo",
    "Lerato",
    "Riaan",
    "Annelie",
)
LAST = (
    "Mokoena",
    "Dlamini",
    "Nkosi",
    "Ndlovu",
    "Khumalo",
    "Botha",
    "Van der Merwe",
    "Pillay",
    "Naidoo",
    "Smith",
    "Jacobs",
    "Williams",
    "Mahlangu",
    "Zulu",
    "Sithole",
    "Venter",
    "Du Plessis",
    "Coetzee",
    "Nel",
    "Kruger",
    "Muller",
    "Schmidt",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Novak",
    "Kowalski",
    "Papadopoulos",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Tanaka",
    "Suzuki",
    "Takahashi",
    "Kim",
    "Lee",
    "Park",
)
IPV6_BASE = int(ipaddress.IPv6Address("2001:db8::"))
IBANS = ("DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300")


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _ipv4(i: int) -> str:
    return str(ipaddress.IPv4Address("100.64.0.0") + i)


def _dynamic(i: int) -> str:
    """The address a NAS handed subscriber ``i`` for its open session."""
    return str(ipaddress.IPv4Address("172.16.0.0") + i)


def _delegated(i: int) -> str:
    return f"{ipaddress.IPv6Address(IPV6_BASE + (i << 72))}/56"


def _existing(n: int) -> bool:
    """The bench database exists and holds ``n`` customers of the bench tenant."""
    import psycopg

    try:
        with psycopg.connect(libpq(database_url(DB_NAME)), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM customers_customer c JOIN core_tenant t "
                "ON t.id = c.tenant_id WHERE t.slug = %s",
                [SLUG],
            ).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0] == n)


def populate(n: int) -> None:
    """Migrate the (fresh) bench database and write the data (module docstring)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.billing.models import Invoice
    from ispstack.catalog.services import create_plan, create_tax_rate
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.core.models import Tenant
    from ispstack.customers.models import Customer
    from ispstack.network.models import IPAddress
    from ispstack.network.services import create_pool
    from ispstack.payments.models import CustomerPaymentMethod, Payment
    from ispstack.radius.models import RadAcct
    from ispstack.subscriptions.models import Subscription

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    now = dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)
    start = dt.date(2026, 1, 1)
    for slug, count in ((SLUG, n), ("bench-other", min(n, 1000))):
        tenant = Tenant.objects.create(
            name=slug, slug=slug, currency="ZAR", timezone="Africa/Johannesburg", country="ZA"
        )
        vat = create_tax_rate(tenant=tenant, name="VAT", rate="15")
        plan = create_plan(
            tenant=tenant,
            code="p50",
            name="Fibre 50",
            download_kbps=50000,
            upload_kbps=10000,
            monthly_price="499.00",
            tax_rate=vat,
        )
        # The other tenant's addresses and prefixes lie elsewhere (they are unique).
        offset = 0 if slug == SLUG else 1 << 20
        pool = create_pool(
            tenant=tenant, name="bench", cidr="100.64.0.0/14" if slug == SLUG else "10.0.0.0/14"
        )
        with transaction.atomic():
            customer_ids = reserve_ids(Customer, count)
            names = [_name(rng) for _ in range(count)]
            copy_rows(
                Customer,
                ("id", "tenant", "account_number", "name", "email", "phone", "status", "currency"),
                (
                    (
                        cid,
                        tenant.pk,
                        f"CT-2026-{i:06d}",
                        names[i - 1],
                        f"{names[i - 1].split()[0].lower()}.{i}@example.net",
                        f"+2782{offset + i:07d}",
                        "active",
                        "ZAR",
                    )
                    for i, cid in enumerate(customer_ids, 1)
                ),
            )
            address_ids = reserve_ids(IPAddress, count)
            copy_rows(
                IPAddress,
                ("id", "tenant", "pool", "address", "assigned_to"),
                (
                    (
                        aid,
                        tenant.pk,
                        pool.pk,
                        _ipv4(i) if slug == SLUG else f"10.0.{i // 250}.{i % 250 + 1}",
                        f"{slug}{i}@isp.example",
                    )
                    for i, aid in enumerate(address_ids, 1)
                ),
            )
            copy_rows(
                Subscription,
                (
                    "tenant",
                    "customer",
                    "plan",
                    "username",
                    "password",
                    "billing_day",
                    "start_date",
                    "status",
                    "pool",
                    "ip_address",
                    "delegated_ipv6_prefix",
                ),
                (
                    (
                        tenant.pk,
                        cid,
                        plan.pk,
                        f"{slug}{i}@isp.example",
                        "pw123456",
                        1,
                        start,
                        "active",
                        pool.pk,
                        aid,
                        _delegated(offset + i),
                    )
                    for i, (cid, aid) in enumerate(zip(customer_ids, address_ids, strict=True), 1)
                ),
            )
            copy_rows(
                Invoice,
                (
                    "tenant",
                    "customer",
                    "number",
                    "status",
                    "currency",
                    "issue_date",
                    "due_date",
                    "subtotal",
                    "tax_total",
                    "total",
                ),
                (
                    (
                        tenant.pk,
                        cid,
                        f"INV-2026-{i:06d}",
                        "issued",
                        "ZAR",
                        start,
                        start + dt.timedelta(days=14),
                        "433.91",
                        "65.09",
                        "499.00",
                    )
                    for i, cid in enumerate(customer_ids, 1)
                ),
            )
            copy_rows(
                Payment,
                ("tenant", "customer", "amount", "currency", "received_on", "method", "reference"),
                (
                    (tenant.pk, cid, "499.00", "ZAR", start, "bank_transfer", f"EFT{i:08d}")
                    for i, cid in enumerate(customer_ids, 1)
                    if i % 2 == 0
                ),
            )
            copy_rows(
                CustomerPaymentMethod,
                ("tenant", "customer", "kind", "iban", "holder_name"),
                (
                    (
                        tenant.pk,
                        cid,
                        "bank_account",
                        IBANS[i % len(IBANS)][:-6] + f"{i:06d}",
                        names[i - 1],
                    )
                    for i, cid in enumerate(customer_ids, 1)
                    if i % 10 == 0
                ),
            )
            if slug == SLUG:
                # Every third subscriber online with a dynamic address (open
                # session), beside two closed sessions each.
                copy_rows(
                    RadAcct,
                    (
                        "acctsessionid",
                        "acctuniqueid",
                        "username",
                        "nasipaddress",
                        "acctstarttime",
                        "acctstoptime",
                        "framedipaddress",
                    ),
                    (
                        (
                            f"s{i}-{k}",
                            f"u{i}-{k}",
                            f"{slug}{i}@isp.example",
                            "192.0.2.1",
                            now - dt.timedelta(hours=3 * k + 1),
                            None if k == 0 else now - dt.timedelta(hours=3 * k),
                            _dynamic(i),
                        )
                        for i in range(1, count + 1)
                        for k in (range(3) if i % 3 == 0 else range(1, 3))
                    ),
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _queries(n: int, count: int, names: list[str]) -> list[str]:
    """``count`` search texts of mixed kinds, fixed by the seed."""
    rng = random.Random(7)

    def pick() -> int:
        return rng.randint(1, n)

    makers = [
        lambda: rng.choice(names).split()[-1][:5],  # name fragment
        lambda: rng.choice(names),  # full name
        lambda: rng.choice(names).replace("a", "e", 1),  # misspelt
        lambda: f"CT-2026-{pick():06d}",
        lambda: f"{SLUG}{pick()}@isp.example",
        lambda: f"{SLUG}{pick()}",
        lambda: _ipv4(pick()),
        lambda: _dynamic(3 * (pick() // 3 or 1)),  # online now at a dynamic address
        lambda: str(ipaddress.IPv6Address(IPV6_BASE + (pick() << 72) + 0x42)),
        lambda: f"INV-2026-{pick():06d}",
        lambda: f"EFT{2 * (pick() // 2 or 1):08d}",
        lambda: f"{10 * (pick() // 10 or 1):06d}",
    ]
    return [makers[i % len(makers)]() for i in range(count)]


def _figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
        "max_ms": ordered[-1],
    }


def measure(searches: int) -> dict[str, Any]:
    """Time ``searches`` searches as the bench tenant's admin (Django set up
    against the bench database); returns p50 / p95 / max in ms for the
    search alone (``search``) and the whole page (``page``)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ispstack.console.search import search
    from ispstack.core.models import Tenant, User
    from ispstack.core.roles import ensure_roles
    from ispstack.core.tenancy import scope
    from ispstack.customers.models import Customer

    tenant = Tenant.objects.get(slug=SLUG)
    n = Customer.objects.filter(tenant=tenant).count()
    names = list(
        Customer.objects.filter(tenant=tenant).order_by("?").values_list("name", flat=True)[:500]
    )
    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        ensure_roles()
        admin = User.objects.create_user(
            username="bench-admin", password="pw-bench-123", tenant=tenant, is_staff=True
        )
        from django.contrib.auth.models import Group

        admin.groups.add(Group.objects.get(name="admin"))
    admin = User.objects.get(pk=admin.pk)  # fresh permission cache
    texts = _queries(n, searches, names)

    search(admin, texts[0])  # warm up (connection, trigram check, permission cache)
    found = 0
    search_times = []
    db_times = []
    pk_times = []
    ids = list(Customer.objects.filter(tenant=tenant).values_list("pk", flat=True)[:1000])
    for index, text in enumerate(texts):
        # The floor, interleaved so it shares the machine's load: one
        # primary-key read of a customer through the ORM.
        began = time.perf_counter()
        scope(Customer.objects.all(), admin).filter(pk=ids[index % len(ids)]).first()
        pk_times.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            results = search(admin, text)
            search_times.append((time.perf_counter() - began) * 1000)
        db_times.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
        found += bool(results.groups)

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(admin)
    client.get("/staff/search/", {"q": texts[0]})
    page_times = []
    for text in texts:
        began = time.perf_counter()
        answer = client.get("/staff/search/", {"q": text})
        page_times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, (text, answer.status_code)
    return {
        "customers": n,
        "searches": len(texts),
        "with_results": found,
        "search": _figures(search_times),
        "database": _figures(db_times),
        "pk_read": _figures(pk_times),
        "load_average": os.getloadavg()[0],
        "page": _figures(page_times),
    }


def run(customers: int = 100_000, searches: int = 200, fresh: bool = False) -> dict[str, Any]:
    """Build (or reuse) the bench database with ``customers`` customers and
    measure ``searches`` searches (see ``measure``)."""
    if fresh or not _existing(customers):
        os.environ["DATABASE_URL"] = bench_database_url(DB_NAME)
        setup_django()
        began = time.perf_counter()
        populate(customers)
        print(f"populated {customers} customers in {time.perf_counter() - began:.0f} s")
    else:
        os.environ["DATABASE_URL"] = database_url(DB_NAME)
        setup_django()
    return measure(searches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    args = parser.parse_args()
    figures = run(args.customers, args.searches, args.fresh)
    print(
        f"{figures['searches']} searches at {figures['customers']} customers "
        f"({figures['with_results']} with results)"
    )
    print(f"load average (1 min) after the run: {figures['load_average']:.1f}")
    floor = figures["pk_read"]["p95_ms"]
    print(
        f"floor, a primary-key read: p95 {floor:.1f} ms; search p95 / floor = "
        f"{figures['search']['p95_ms'] / floor:.1f}"
    )
    for key, label in (
        ("database", "its queries"),
        ("search", "search alone"),
        ("page", "results page"),
    ):
        f = figures[key]
        verdict = "OK" if f["p95_ms"] <= TARGET_MS else "OVER"
        print(
            f"{label:>13}: p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms, "
            f"max {f['max_ms']:.1f} ms (target p95 <= {TARGET_MS:.0f} ms: {verdict})"
        )


if __name__ == "__main__":
    main()
