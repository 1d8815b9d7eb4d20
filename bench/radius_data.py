"""Data for bench/radius_auth.sh: our schema with N subscribers and a full
radacct, the same users in FreeRADIUS's upstream schema, and radclient
request files.

    python bench/radius_data.py ours DBNAME [--subscribers 100000] [--radacct 10000000]
    python bench/radius_data.py archive DBNAME   # rollup, then move closed sessions to the archive
    python bench/radius_data.py upstream OURS_DB UPSTREAM_DB   # after start.sh loaded its schema
    python bench/radius_data.py requests DIR [--subscribers N] [--requests 20000]
    python bench/radius_data.py libpq DBNAME    # PGHOST=... lines for the peer's environment

Users are ``bench<i>@isp.example`` with password ``pw123456`` on three
plans (RADIUS groups, MikroTik attributes), a third with a static IPv4, so
each Access-Accept carries the group reply and, for some, radreply rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    bench_database_url,
    database_url,
    libpq,
    libpq_params,
    seed_subscribers,
    setup_django,
)
from usage_rollup import fill_radacct  # noqa: E402

USER_TABLES = {
    "radcheck": "username, attribute, op, value",
    "radreply": "username, attribute, op, value",
    "radusergroup": "username, groupname, priority",
    "radgroupreply": "groupname, attribute, op, value",
    "radgroupcheck": "groupname, attribute, op, value",
}


def ours(db: str, subscribers: int, radacct: int) -> None:
    """Our schema (migrate), N active subscribers synced to the RADIUS tables, radacct rows."""
    os.environ["DATABASE_URL"] = bench_database_url(db)
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.catalog.services import create_plan, create_tax_rate
    from ispstack.core.models import Tenant
    from ispstack.network.models import IPAddress, IPPool
    from ispstack.radius.services import sync_all

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    tenant = Tenant.objects.create(
        name="Bench ISP", slug="bench", currency="ZAR", timezone="Africa/Johannesburg"
    )
    vat = create_tax_rate(tenant=tenant, name="VAT", rate="15")
    plans = [
        create_plan(
            tenant=tenant,
            code=f"p{mbps}",
            name=f"Fibre {mbps}",
            download_kbps=mbps * 1000,
            upload_kbps=mbps * 200,
            monthly_price="499.00",
            tax_rate=vat,
        )
        for mbps in (20, 50, 100)
    ]
    with transaction.atomic():
        sub_ids = seed_subscribers(tenant, plans, subscribers, start=dt.date(2025, 1, 1))
        pool = IPPool.objects.create(tenant=tenant, name="static", cidr="100.64.0.0/14")
        base = pool.network.network_address
        addresses = IPAddress.objects.bulk_create(
            IPAddress(tenant=tenant, pool=pool, address=str(base + 1 + i), assigned_to="bench")
            for i in range(0, subscribers, 3)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE subscriptions_subscription s SET ip_address_id = m.address"
                " FROM unnest(%s::bigint[], %s::bigint[]) AS m(sub, address) WHERE s.id = m.sub",
                [sub_ids[::3], [a.pk for a in addresses]],
            )
    counts = sync_all(tenant.pk)
    seconds = time.perf_counter() - started
    print(f"ours: {counts['subscriptions']} subscribers synced in {seconds:.1f} s")
    started = time.perf_counter()
    fill_radacct(subscribers, radacct)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"ours: {radacct} radacct rows in {time.perf_counter() - started:.1f} s")


def archive(db: str) -> None:
    """What ispstack does with accounting history: roll it up, then move the
    closed sessions out of radacct (``ispstack radius retention``)."""
    os.environ["DATABASE_URL"] = database_url(db)
    setup_django()
    from django.db import connection

    from ispstack.radius.retention import archive_sessions
    from ispstack.usage.services import rollup

    started = time.perf_counter()
    rows = rollup()
    moved = archive_sessions()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE radacct")
        cursor.execute("SELECT count(*) FROM radacct")
        left = cursor.fetchone()[0]  # type: ignore[index]
    seconds = time.perf_counter() - started
    print(
        f"ours: {rows} rows rolled up, {moved} sessions archived, {left} left in radacct "
        f"({seconds:.0f} s)"
    )


def upstream(ours_db: str, upstream_db: str) -> None:
    """Copy the user tables of ``ours_db`` into the upstream schema of ``upstream_db``."""
    import psycopg

    with (
        psycopg.connect(libpq(database_url(ours_db))) as src,
        psycopg.connect(libpq(database_url(upstream_db))) as dst,
    ):
        for table, columns in USER_TABLES.items():
            with (
                src.cursor().copy(f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as out,
                dst.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as into,
            ):
                for block in out:
                    into.write(block)
        dst.commit()
        dst.autocommit = True
        dst.execute("VACUUM ANALYZE")
    print(f"upstream: user tables copied from {ours_db}")


def requests(directory: str, subscribers: int, count: int) -> None:
    """auth.txt (PAP), start.txt and interim.txt (accounting) with ``count`` requests each."""
    rng = random.Random(2026)
    users = [rng.randrange(1, subscribers + 1) for _ in range(count)]
    with open(os.path.join(directory, "auth.txt"), "w") as auth:
        for i in users:
            auth.write(
                f'User-Name = "bench{i}@isp.example"\nUser-Password = "pw123456"\n'
                "NAS-IP-Address = 127.0.0.1\nNAS-Port-Type = Virtual\n\n"
            )
    for kind, extra in (
        ("start", "Acct-Status-Type = Start\n"),
        (
            "interim",
            "Acct-Status-Type = Interim-Update\nAcct-Session-Time = 300\n"
            "Acct-Input-Octets = 123456789\nAcct-Input-Gigawords = 1\n"
            "Acct-Output-Octets = 987654321\nAcct-Output-Gigawords = 2\n",
        ),
    ):
        with open(os.path.join(directory, f"{kind}.txt"), "w") as out:
            for n, i in enumerate(users):
                out.write(
                    f'User-Name = "bench{i}@isp.example"\nAcct-Session-Id = "bench-{n}"\n'
                    "NAS-IP-Address = 127.0.0.1\nFramed-IP-Address = 100.72.0.1\n"
                    f"{extra}\n"
                )


def peer_env(db: str) -> None:
    """Shell assignments for the peer's libpq environment."""
    params = libpq_params(database_url(db))
    for key, name in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER")):
        print(f"export {name}='{params[key] or ''}'")
    print(f"export PGPASSWORD='{params['password'] or ''}' PGDATABASE='{db}'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["ours", "archive", "upstream", "requests", "libpq"])
    parser.add_argument("args", nargs="*")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--radacct", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=20_000)
    options = parser.parse_args()
    if options.action == "ours":
        ours(options.args[0], options.subscribers, options.radacct)
    elif options.action == "archive":
        archive(options.args[0])
    elif options.action == "upstream":
        upstream(options.args[0], options.args[1])
    elif options.action == "requests":
        requests(options.args[0], options.subscribers, options.requests)
    else:
        peer_env(options.args[0])


if __name__ == "__main__":
    main()
