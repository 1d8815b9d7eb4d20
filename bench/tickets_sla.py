"""Benchmark: the SLA breach scan on 1,000,000 tickets against its floor.

    python bench/tickets_sla.py [--tickets 1000000] [--repeat 3] [--fresh]

Fills the database ``ispstack_bench_tickets`` (on the server of
DATABASE_URL, or the embedded one) with one tenant, four teams and
``--tickets`` tickets written by the server itself (``INSERT ... SELECT
FROM generate_series``): 5 % open (new or in progress) with resolution due
times spread from a day before to nine days after the bench's instant, so a
tenth of them are past due; the rest resolved or closed. The open tickets
are the newest ones, as in a helpdesk where tickets close within days. A database already
holding that many tickets is reused (``--fresh`` rebuilds it); migrations
run either way.

Then, at the bench's instant, each ``--repeat`` times in a transaction that
is rolled back (so every repeat finds the same breaches):

- the floor: one SQL query selecting the open tickets past their due time
  that are not flagged yet (id, tenant, team, number);
- the scan: ``tickets.scan.scan_sla`` (flag and escalate the breaches with
  their audit rows, mark the warnings, queue the team leads' alerts).

Prints seconds (median of the repeats) and the ratio scan / floor (target
<= 3). Both read the partial index on open tickets by ``sla_due_at``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, database_url, libpq, setup_django  # noqa: E402

DB_NAME = "ispstack_bench_tickets"
NOW = dt.datetime(2026, 1, 14, 12, 0, tzinfo=dt.UTC)

# Ticket g of n, opened in order: the newest 5 % (g > 0.95 n) are open (new
# or in progress, by parity), due between NOW - 1 day and NOW + 9 days
# (spread by multiplicative hashing); the older ones resolved or closed, a
# tenth of them breached. Tickets are resolved within days, so the open ones
# are the recent ones, as in a helpdesk's table.
_TICKETS = """
INSERT INTO tickets_ticket (tenant_id, created_at, updated_at, number, subject, description,
    ticket_type, priority, state, source, contact_email, service_address, affected_services,
    device_serials, team_id, sla_due_at, sla_warn_at, first_response_due_at, sla_warned,
    sla_breached, sla_paused_minutes, resolved_at, resolution_time_minutes)
SELECT %(tenant)s, due - interval '3 days', due - interval '3 days', 'TCK-B-' || g,
       'Ticket ' || g, '', 'technical_support',
       (ARRAY['low', 'normal', 'high', 'urgent'])[g %% 4 + 1],
       CASE WHEN open AND g %% 2 = 0 THEN 'new' WHEN open THEN 'in_progress'
            WHEN g %% 3 = 0 THEN 'resolved' ELSE 'closed' END,
       'console', '', '', '[]'::jsonb, '[]'::jsonb,
       (%(teams)s::bigint[])[g %% 4 + 1], due, due - interval '6 hours', due - interval '2 days',
       NOT open OR due - interval '6 hours' <= %(now)s,
       NOT open AND g %% 10 = 1, 0,
       CASE WHEN open THEN NULL ELSE due - interval '1 hour' END,
       CASE WHEN open THEN NULL ELSE 600 END
FROM (
    SELECT g, open, CASE WHEN open
                   THEN %(now)s::timestamptz - interval '1 day'
                        + (g * 2654435761 %% 864000) * interval '1 second'
                   ELSE %(now)s::timestamptz - interval '400 days'
                        + (g * 34 / 1000) * interval '1 second' END AS due
    FROM (SELECT g, g > %(n)s * 0.95 AS open FROM generate_series(1, %(n)s) AS g) AS numbered
) AS s
"""

_FLOOR = """
SELECT id, tenant_id, team_id, number FROM tickets_ticket
WHERE state IN ('new', 'in_progress') AND NOT sla_breached AND sla_due_at <= %s
"""


def filled(url: str, tickets: int) -> bool:
    """Whether database ``url`` exists and holds ``tickets`` tickets."""
    import psycopg

    try:
        with psycopg.connect(libpq(url)) as conn:
            row = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0] == tickets)


def fill(tickets: int) -> None:
    """The tenant, four teams, ``tickets`` tickets, then ANALYZE."""
    from django.db import connection

    from ispstack.core.models import Tenant
    from ispstack.tickets.models import Team

    tenant = Tenant.objects.create(
        name="Bench ISP", slug="bench", timezone="Europe/Berlin", country="DE"
    )
    teams = [
        Team.objects.create(tenant=tenant, name=name).pk
        for name in ("Support", "NOC", "Field operations", "Billing")
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(_TICKETS, {"tenant": tenant.pk, "teams": teams, "now": NOW, "n": tickets})
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    print(f"setup: {tickets:,} tickets in {time.perf_counter() - started:.1f} s")


def timed(run: object, repeat: int) -> tuple[float, int]:
    """Median seconds of ``run()`` over ``repeat`` rolled-back transactions,
    and the number of rows it returned."""
    from django.db import transaction

    times = []
    rows = 0
    for _ in range(repeat):
        with transaction.atomic():
            started = time.perf_counter()
            rows = run()  # type: ignore[operator]
            times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    args = parser.parse_args()

    url = database_url(DB_NAME)
    reuse = not args.fresh and filled(url, args.tickets)
    if not reuse:
        url = bench_database_url(DB_NAME)
    os.environ["DATABASE_URL"] = url
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from ispstack.tickets.scan import scan_sla

    call_command("migrate", verbosity=0)
    if not reuse:
        fill(args.tickets)

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(_FLOOR, [NOW])
            return len(cursor.fetchall())

    def scan() -> int:
        return len(scan_sla(now=NOW).breached)

    floor_s, floor_rows = timed(floor, args.repeat)
    scan_s, scan_rows = timed(scan, args.repeat)
    assert scan_rows == floor_rows, (scan_rows, floor_rows)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _FLOOR, [NOW])
        plan = cursor.fetchall()[0][0]
    print(f"tickets: {args.tickets:,} ({args.tickets // 20:,} open), {floor_rows:,} breached")
    print(f"floor (one SELECT of the breached open tickets): {floor_s * 1000:8.1f} ms")
    print(f"scan_sla (flag, escalate, audit, warn, alert):   {scan_s * 1000:8.1f} ms")
    print(f"ratio scan / floor: {scan_s / floor_s:.2f} (target <= 3)")
    print(f"floor plan: {plan.strip()}")


if __name__ == "__main__":
    main()
