"""Benchmark: the usage rollup on 10 million accounting rows against its floor.

    python bench/usage_rollup.py [--rows 10000000] [--subscribers 100000] [--repeat 3]

Builds a fresh database ``ispstack_bench_usage`` on the server of
DATABASE_URL (or the embedded one) with N subscribers and ROWS radacct rows
as FreeRADIUS's interim updates leave them: one session per subscriber per
day over ROWS/N days, octets with gigawords (a tenth of the sessions move
more than 4 GiB), the latest session of each subscriber still open. Then:

- the floor: one SQL ``GROUP BY`` (subscriber, local day) summing the
  octets of the same rows, writing its result into the emptied daily usage
  table and committing (the rollup's output is one row per subscriber and
  day, as many as there are sessions here, so writing it is most of the
  work); the read-only ``GROUP BY`` is printed too;
- the full run: ``rollup_stats()`` from an empty watermark (daily usage and
  session counters emptied before each repeat);
- the incremental run: after 100,000 new rows (new sessions updated after
  the watermark), one more ``rollup_stats()``.

Prints seconds (median of the repeats), the ratio full / floor (target
<= 2) and incremental / full (target < 1 %). Fixed data, same work every run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, database_url, seed_subscribers, setup_django  # noqa: E402

DB_NAME = "ispstack_bench_usage"
TZ = "Africa/Johannesburg"
NEW_ROWS = 100_000

# Row g of n subscribers: subscriber g % n + 1, session day g // n, started
# in the day's first half, last updated (and stopped) 12 hours later. Octets
# are spread by multiplicative hashing; one session in ten passes 4 GiB.
_RADACCT = """
INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, nasporttype,
    acctstarttime, acctupdatetime, acctstoptime, acctinterval, acctsessiontime,
    acctinputoctets, acctoutputoctets, framedipaddress, acctauthentic, servicetype)
SELECT 'S' || g, md5('bench' || g), 'bench' || (g %% %(n)s + 1) || '@isp.example',
       '10.0.0.1'::inet + g %% 8, 'Virtual',
       %(t0)s::timestamptz + (g / %(n)s) * interval '1 day' + (g %% 43200) * interval '1 s',
       %(t0)s::timestamptz + (g / %(n)s) * interval '1 day' + (g %% 43200 + 43200) * interval '1 s',
       CASE WHEN g >= %(last)s THEN NULL
            ELSE %(t0)s::timestamptz + (g / %(n)s) * interval '1 day'
                 + (g %% 43200 + 43200) * interval '1 s' END,
       300, 43200,
       (g * 2654435761 %% 400000000) + CASE WHEN g %% 10 = 0 THEN 5 * 4294967296 ELSE 0 END,
       (g * 40503 %% 3000000000) + CASE WHEN g %% 10 = 0 THEN 4294967296 ELSE 0 END,
       ('100.64.0.0'::inet + (g %% %(n)s)), 'RADIUS', 'Framed-User'
FROM generate_series(%(first)s::bigint, %(stop)s::bigint) AS g
"""

_FLOOR = f"""
SELECT count(*), sum(i), sum(o) FROM (
    SELECT username, (acctupdatetime AT TIME ZONE '{TZ}')::date AS day,
           sum(acctinputoctets) AS i, sum(acctoutputoctets) AS o
    FROM radacct GROUP BY 1, 2
) AS per_day
"""
# The same GROUP BY writing its result where the rollup writes it.
_WRITE_FLOOR = f"""
INSERT INTO usage_dailyusage
    (tenant_id, subscription_id, day, input_octets, output_octets, created_at, updated_at)
SELECT s.tenant_id, s.id, (r.acctupdatetime AT TIME ZONE '{TZ}')::date,
       sum(r.acctinputoctets), sum(r.acctoutputoctets), now(), now()
FROM radacct r JOIN subscriptions_subscription s ON s.username = r.username
GROUP BY 1, 2, 3
"""


def populate(subscribers: int, rows: int) -> None:
    """Child process: migrate, N subscribers, ROWS radacct rows."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction

    from ispstack.catalog.services import create_plan, create_tax_rate
    from ispstack.core.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(
        name="Bench ISP", slug="bench", currency="ZAR", timezone=TZ, country="ZA"
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
        data_cap_bytes=500 * 10**9,
    )
    import datetime as dt

    with transaction.atomic():
        seed_subscribers(tenant, [plan], subscribers, start=dt.date(2025, 1, 1))
    started = time.perf_counter()
    fill_radacct(subscribers, rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE radacct")
        cursor.execute("ANALYZE")
    print(f"setup: {rows} radacct rows in {time.perf_counter() - started:.1f} s")


def fill_radacct(subscribers: int, rows: int) -> None:
    """``rows`` radacct rows for ``bench<i>@isp.example``, one session per
    subscriber per day from 2026-01-01, the last day's still open."""
    from django.db import connection

    with connection.cursor() as cursor:
        for first in range(0, rows, subscribers):
            cursor.execute(
                _RADACCT,
                {
                    "n": subscribers,
                    "t0": "2026-01-01T00:00:00Z",
                    "first": first,
                    "stop": min(first + subscribers, rows) - 1,
                    "last": rows - subscribers,
                },
            )


def _timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def floor() -> tuple[int, int, int]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(_FLOOR)
        return cursor.fetchone()  # type: ignore[return-value]


def write_floor() -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(_WRITE_FLOOR)
        return cursor.rowcount


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE usage_dailyusage, usage_countedsession, usage_rollupstate")
        cursor.execute("VACUUM ANALYZE usage_dailyusage, usage_countedsession")


def add_new_rows(subscribers: int, rows: int) -> None:
    """NEW_ROWS sessions updated after everything so far (the next day)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            _RADACCT,
            {
                "n": subscribers,
                "t0": "2026-01-01T00:00:00Z",
                "first": rows,
                "stop": rows + NEW_ROWS - 1,
                "last": rows,
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of the last run (setup is slow)"
    )
    parser.add_argument("--populate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.populate:
        populate(args.subscribers, args.rows)
        return
    import subprocess

    if args.reuse:
        url = database_url(DB_NAME)
    else:
        url = bench_database_url(DB_NAME)
        subprocess.run(
            [sys.executable, __file__, "--populate"]
            + ["--rows", str(args.rows), "--subscribers", str(args.subscribers)],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
        )
    os.environ["DATABASE_URL"] = url
    setup_django()
    if args.reuse:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM radacct WHERE radacctid > %s", [args.rows])
            cursor.execute("VACUUM ANALYZE radacct")
    from ispstack.usage.models import DailyUsage
    from ispstack.usage.services import rollup_stats

    floor()  # warm the cache: every figure below reads radacct from memory
    floors, write_floors, fulls = [], [], []
    for _ in range(args.repeat):
        seconds, groups = _timed(floor)
        floors.append(seconds)
        reset()
        seconds, _ = _timed(write_floor)
        write_floors.append(seconds)
        reset()
        seconds, stats = _timed(rollup_stats)
        fulls.append(seconds)
    days = DailyUsage.objects.count()
    assert groups[0] == days, (groups, days)  # type: ignore[index]
    add_new_rows(args.subscribers, args.rows)
    incremental, inc_stats = _timed(rollup_stats)
    floor_s, full_s = statistics.median(floors), statistics.median(fulls)
    write_s = statistics.median(write_floors)

    def runs(values: list[float]) -> str:
        return ", ".join(f"{x:.2f}" for x in values)

    print(f"rows {args.rows}, subscribers {args.subscribers}, daily usage rows {days}")
    print(f"floor GROUP BY (read only)        {floor_s:8.2f} s   (runs {runs(floors)})")
    print(f"floor GROUP BY into daily usage   {write_s:8.2f} s   (runs {runs(write_floors)})")
    print(
        f"full rollup                       {full_s:8.2f} s   (runs {runs(fulls)}; "
        f"{stats['counted']} session counters kept)"  # type: ignore[index]
    )
    print(f"ratio full / GROUP BY into daily usage {full_s / write_s:.2f} (target <= 2)")
    print(f"ratio full / read-only GROUP BY        {full_s / floor_s:.2f}")
    print(
        f"incremental      {incremental:8.3f} s   ({inc_stats['rows']} rows read after "  # type: ignore[index]
        f"{NEW_ROWS} new), {100 * incremental / full_s:.2f} % of the full run (target < 1 %)"
    )


if __name__ == "__main__":
    main()
