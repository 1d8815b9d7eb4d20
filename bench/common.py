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
