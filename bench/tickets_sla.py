"""Benchmark: the SLA breach scan on 1,000,000 tickets against its floor.

    python bench/tickets_sla.py [--tickets=1000000] [--repeat=3] [--fresh]

Fills the database ``ispstack_bench_tickets`` (on the server of
DATABASE_URL, or the embedded one) with one tenant, four teams and
``--tickets`` tickets written by the server itself (``INSERT ... SELECT
FROM generate_series``): 5 % open (new or in progress) with resolution due
times spread from a day before to nine days after the bench's instant, so a
tenth of them are past due, and first-response due times two days earlier
(none answered yet); the rest resolved or closed. The open tickets
are the newest ones, as in a helpdesk where tickets close within days. A database already
holding that many tickets is reused (``--fresh`` rebuilds it); migrations
run either way.

Then, at the bench's instant, each ``--repeat`` times in a transaction that
is rolled back (so every repeat finds the same breaches):

- the floor: one SQL query selecting the open tickets past their due time
  (id, tenant, team, number);
- the periodic scan: ``tickets.scan.scan_sla`` as the beat schedule runs
  it, 5 minutes after the previous one: the tickets due before then are
  flagged already, it flags (escalates, audits) those due since and marks
  the warnings, queueing the team leads' alerts;
- the backlog scan: the same with no open ticket flagged yet (every past-due
  ticket is a new breach: one audit row and one row update each), as after
  the scheduler was down for a day.

Prints milliseconds (median of the repeats) and the ratios scan / floor
(target <= 3 for the periodic scan). All read the partial index on open
tickets by ``sla_due_at``.
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
# The previous periodic scan (the beat schedule runs it every 5 minutes).
FLAGGED = NOW - dt.timedelta(minutes=5)

# Ticket g of n, opened in order: the newest 5 % (g > 0.95 n) are open (new
# or in progress, by parity), due between NOW - 1 day and NOW + 9 days
# (spread by multiplicative hashing); the older ones resolved or closed, a
# tenth of them breached. Tickets are resolved within days, so the open ones
# are the recent ones, as in a helpdesk's table.
_TICKETS = """
INSERT INTO tickets_ticket (tenant_id, created_at, updated_at, number, subject, description,
    ticket_type, priority, state, source, contact_email, service_address, affected_services,
    device_serials, team_id, sla_due_at, sla_warn_at, first_response_due_at, sla_warned,
    sla_breached, sla_paused_minutes, resolved_at, resolution_time_minutes,
    first_response_warn_at, first_response_warned, first_response_breached)
SELECT %(tenant)s, due - interval '3 days', due - interval '3 days', 'TCK-B-' || g,
       'Ticket ' || g, '', 'technical_support',
       (ARRAY['low', 'normal', 'high', 'urgent'])[g %% 4 + 1],
       CASE WHEN open AND g %% 2 = 0 THEN 'new' WHEN open THEN 'in_progress'
            WHEN g %% 3 = 0 THEN 'resolved' ELSE 'closed' END,
       'console', '', '', '[]'::jsonb, '[]'::jsonb,
       (%(teams)s::bigint[])[g %% 4 + 1], due, due - interval '6 hours', due - interval '2 days',
       NOT open OR due - interval '6 hours' <= %(now)s,
       CASE WHEN open THEN due <= %(flagged)s ELSE g %% 10 = 1 END, 0,
       CASE WHEN open THEN NULL ELSE due - interval '1 hour' END,
       CASE WHEN open THEN NULL ELSE 600 END,
       due - interval '2 days 3 hours',
       NOT open OR due - interval '2 days 3 hours' <= %(now)s,
       open AND due - interval '2 days' <= %(flagged)s
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
WHERE state IN ('new', 'in_progress') AND sla_due_at <= %s
"""
# The backlog: no open ticket flagged yet (the scan did not run for a day).
_UNFLAG = "UPDATE tickets_ticket SET sla_breached = false WHERE state IN ('new', 'in_progress')"
_REFLAG = """
UPDATE tickets_ticket SET sla_breached = sla_due_at <= %s WHERE state IN ('new', 'in_progress')
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
        cursor.execute(
            _TICKETS,
            {"tenant": tenant.pk, "teams": teams, "now": NOW, "flagged": FLAGGED, "n": tickets},
        )
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    print(f"setup: {tickets:,} tickets in {time.perf_counter() - started:.1f} s")


def timed(run: object, repeat: int) -> tuple[float, int]:
    """Median seconds of ``run()`` over ``repeat`` rolled-back transactions,
    and the number of rows it returned. A VACUUM after each takes away the
    row versions the rolled-back scan left, as the next scan of a live
    database finds its pages (autovacuum and page pruning keep them so)."""
    from django.db import connection, transaction

    times = []
    rows = 0
    for _ in range(repeat):
        with transaction.atomic():
            started = time.perf_counter()
            rows = run()  # type: ignore[operator]
            times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM tickets_ticket")
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

    with connection.cursor() as cursor:  # the state the previous scan left
        cursor.execute(_REFLAG, [FLAGGED])
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    floor_s, floor_rows = timed(floor, args.repeat)
    periodic_s, periodic_rows = timed(scan, args.repeat)
    with connection.cursor() as cursor:
        cursor.execute(_UNFLAG)
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    try:
        backlog_s, backlog_rows = timed(scan, args.repeat)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(_REFLAG, [FLAGGED])
            cursor.execute("VACUUM ANALYZE tickets_ticket")
    assert backlog_rows == floor_rows, (backlog_rows, floor_rows)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _FLOOR, [NOW])
        plan = cursor.fetchall()[0][0]
    print(f"tickets: {args.tickets:,} ({args.tickets // 20:,} open), {floor_rows:,} past due")
    print(f"floor (one SELECT of the breached open tickets):   {floor_s * 1000:8.1f} ms")
    print(
        f"scan_sla, periodic ({periodic_rows:,} new breaches):  {periodic_s * 1000:8.1f} ms"
        f"   ratio {periodic_s / floor_s:.2f} (target <= 3)"
    )
    print(
        f"scan_sla, backlog ({backlog_rows:,} new breaches): {backlog_s * 1000:8.1f} ms"
        f"   ratio {backlog_s / floor_s:.2f}"
    )
    print(f"floor plan: {plan.strip()}")


if __name__ == "__main__":
    main()
