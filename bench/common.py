"""What the benchmarks share: a fresh database on the configured server,
Django set up against it, and N subscribers written with COPY."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    """DATABASE_URL, or the embedded server's URL (started when needed)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    sys.path.insert(0, str(ROOT / "src"))
    from ispstack.embedded import embedded_database_url, var_dir

    return embedded_database_url(var_dir())


def database_url(name: str) -> str:
    """The URL of database ``name`` on the configured server."""
    return urlunsplit(urlsplit(server_url())._replace(path=f"/{name}"))


def bench_database_url(name: str) -> str:
    """A URL for database ``name`` on the configured server, created empty."""
    import psycopg

    with psycopg.connect(libpq(database_url("postgres")), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return database_url(name)


def libpq(url: str) -> str:
    """A libpq connection string (``host=... dbname=...``) for a database URL."""
    return " ".join(f"{k}={v}" for k, v in libpq_params(url).items() if v)


def libpq_params(url: str) -> dict[str, Any]:
    """host, port, user, password and dbname of a database URL."""
    import dj_database_url

    cfg = dj_database_url.parse(url)
    return {
        "host": cfg["HOST"],
        "port": cfg["PORT"],
        "user": cfg["USER"],
        "password": cfg["PASSWORD"],
        "dbname": cfg["NAME"],
    }


def setup_django() -> None:
    """Django against DATABASE_URL (set it before calling)."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispstack.settings")
    import django

    django.setup()


def seed_customers(tenant: Any, n: int) -> list[int]:
    """COPY ``n`` active customers (``CT-2026-<i>``, i from 1); returns their ids in order."""
    from ispstack.core import clock
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.customers.models import Customer

    now = clock.now()
    customer_ids = reserve_ids(Customer, n)
    copy_rows(
        Customer,
        ("id", "tenant", "created_at", "updated_at", "account_number", "name", "email")
        + ("phone", "status", "currency"),
        (
            (cid, tenant.pk, now, now, f"CT-2026-{i:06d}", f"Subscriber {i}", f"s{i}@example.net")
            + ("", "active", tenant.currency)
            for i, cid in enumerate(customer_ids, 1)
        ),
    )
    return customer_ids


def seed_subscribers(tenant: Any, plans: list[Any], n: int, *, start: Any) -> list[int]:
    """``seed_customers`` with one active subscription each, usernames
    ``bench<i>@isp.example`` (i from 1), password ``pw123456``, plans in turn.
    Returns the subscription ids in order."""
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.subscriptions.models import Subscription

    customer_ids = seed_customers(tenant, n)
    sub_ids = reserve_ids(Subscription, n)
    copy_rows(
        Subscription,
        ("id", "tenant", "customer", "plan", "username", "password", "billing_day")
        + ("start_date", "status"),
        (
            (sid, tenant.pk, cid, plans[i % len(plans)].pk, f"bench{i}@isp.example", "pw123456", 1)
            + (start, "active")
            for i, (cid, sid) in enumerate(zip(customer_ids, sub_ids, strict=True), 1)
        ),
    )
    return sub_ids


def bench_tenant() -> tuple[Any, Any, list[Any]]:
    """The benches' tenant ``bench`` (ZAR, Africa/Johannesburg), its 15 % VAT
    rate and three fibre plans: 20, 50 and 100 Mbit/s down (a fifth of it up)
    at 299.00, 499.00 and 799.00 a month. Returns (tenant, vat, plans)."""
    from ispstack.catalog.services import create_plan, create_tax_rate
    from ispstack.core.models import Tenant

    tenant = Tenant.objects.create(
        name="Bench ISP", slug="bench", currency="ZAR", timezone="Africa/Johannesburg", country="ZA"
    )
    vat = create_tax_rate(tenant=tenant, name="VAT", rate="15")
    plans = [
        create_plan(
            tenant=tenant,
            code=f"p{mbps}",
            name=f"Fibre {mbps}",
            download_kbps=mbps * 1000,
            upload_kbps=mbps * 200,
            monthly_price=price,
            tax_rate=vat,
        )
        for mbps, price in ((20, "299.00"), (50, "499.00"), (100, "799.00"))
    ]
    return tenant, vat, plans


def months_back(day: Any, months: int) -> Any:
    """The first day of the month ``months - 1`` months before ``day``'s
    month (``months`` = 1: the first of ``day``'s month)."""
    index = day.year * 12 + day.month - 1 - (months - 1)
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def load_without_plain_indexes(
    tables: list[str], steps: list[tuple[str, str]], params: dict[str, Any]
) -> None:
    """Run each ``(label, INSERT ... SELECT)`` of ``steps`` with ``params`` in
    its own transaction, printing its row count and seconds. The plain
    indexes of ``tables`` are dropped before and built once after (much
    faster than maintaining them row by row); those behind constraints stay.
    """
    import time

    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute(
            """SELECT indexname, indexdef FROM pg_indexes
               WHERE tablename = ANY(%s)
                 AND indexname NOT IN (SELECT conname FROM pg_constraint)""",
            [tables],
        )
        indexes = cur.fetchall()
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    for label, sql in steps:
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            # The rows are generated consistent: skip the per-row foreign key
            # triggers (a superuser setting, local to this transaction).
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute(sql, params)
            rows = cur.rowcount
        print(f"  {rows} {label}: {time.perf_counter() - began:.0f} s", flush=True)
    began = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cur.execute(definition)
    print(f"  {len(indexes)} indexes rebuilt: {time.perf_counter() - began:.0f} s", flush=True)
