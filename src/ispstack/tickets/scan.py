"""The periodic SLA scan: flag breaches and warn before them, set-based.

One statement flags every ticket still being worked (``new`` or
``in_progress``) whose ``sla_due_at`` has passed (``sla_breached``, its
priority raised one step), marks ``sla_warned`` on those past their warning
time, and does the same for the first response of tickets with no public
reply yet (``first_response_breached``, its priority not raised: the
resolution breach escalates; ``first_response_warned``). It updates each
ticket once, whichever targets it flags, and writes the breaches' audit rows.
It finds its tickets through the partial indexes on open tickets
(``tickets_open_sla_due_idx``, ``tickets_open_sla_warn_idx``,
``tickets_open_first_due_idx``, ``tickets_open_first_warn_idx``; all but the
first hold only the tickets not flagged yet), so its cost follows the number
of open tickets due, not the size of the table. The team leads get one
email per team, kind of alert and scan, through the outbox (one INSERT for
all); a scan that flags nothing writes nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection, transaction

from ispstack.core import clock, outbox
from ispstack.tickets.choices import SLA_RUNNING_STATES

JOB_KIND = "tickets.sla_alert"
# Tickets named in one alert email; the rest are counted.
ALERT_LIST_LIMIT = 100

# The states as SQL literals (constants of the code, never input), written
# out so the planner matches the partial indexes' predicate.
_RUNNING = ", ".join(f"'{s.value}'" for s in SLA_RUNNING_STATES)

# The running tickets a target of which is due and not flagged yet, one
# condition per partial index that holds them (alias t).
_DUE = (
    "NOT t.sla_breached AND t.sla_due_at <= %(now)s",
    "NOT t.sla_warned AND NOT t.sla_breached AND t.sla_warn_at <= %(now)s",
    "t.first_response_at IS NULL AND NOT t.first_response_breached"
    " AND t.first_response_due_at <= %(now)s",
    "t.first_response_at IS NULL AND NOT t.first_response_warned"
    " AND NOT t.first_response_breached AND t.first_response_warn_at <= %(now)s",
)
_FLAGS = "sla_breached, sla_warned, first_response_breached, first_response_warned"
# What the scan sets, from the row before the update (alias t): a breach is
# flagged once per target; a warning once, and only to a ticket not
# breaching that target (before or by this scan), as when breaches were
# flagged first. A NULL due time flags nothing.
_BREACH = f"COALESCE({_DUE[0]}, false)"
_WARN = f"COALESCE({_DUE[1]} AND (t.sla_due_at <= %(now)s) IS NOT TRUE, false)"
_FIRST_BREACH = f"COALESCE({_DUE[2]}, false)"
_FIRST_WARN = f"COALESCE({_DUE[3]} AND (t.first_response_due_at <= %(now)s) IS NOT TRUE, false)"

# One statement. ``seen``: the tickets to flag, their flags and row
# addresses, one query per partial index (a UNION: the planner, misled by
# the closed tickets in the table's statistics, takes an OR of these for
# nearly every open ticket and walks them all). ``hit`` updates each ticket
# once, whichever targets it flags (a ticket can breach both in one scan),
# fetching it by the row address ``seen`` read (a TID scan: no second index
# lookup, and no plan built on the planner's guess of the number of rows);
# it rechecks the conditions on the row as it is when locked (a ticket
# paused meanwhile is left alone) and that its flags are still those
# ``seen`` read, so what it returns as newly flagged is exact (a ticket
# another scan flagged meanwhile waits for the next scan). ``logged``
# audits the breaches.
_SEEN = "\n    UNION ".join(
    f"SELECT t.ctid, t.id, {_FLAGS} FROM tickets_ticket t WHERE t.state IN ({_RUNNING}) AND {due}"
    for due in _DUE
)
_SCAN = f"""
WITH seen AS (
    {_SEEN}
), hit AS (
    UPDATE tickets_ticket t
    SET sla_breached = t.sla_breached OR {_BREACH},
        priority = CASE WHEN NOT {_BREACH} THEN t.priority
                        WHEN t.priority = 'low' THEN 'normal'
                        WHEN t.priority = 'normal' THEN 'high' ELSE 'urgent' END,
        sla_warned = t.sla_warned OR {_WARN},
        first_response_breached = t.first_response_breached OR {_FIRST_BREACH},
        first_response_warned = t.first_response_warned OR {_FIRST_WARN},
        updated_at = %(now)s
    FROM seen s
    WHERE t.ctid = ANY (ARRAY(SELECT ctid FROM seen)) AND t.id = s.id
        AND t.state IN ({_RUNNING}) AND ({" OR ".join(f"({due})" for due in _DUE)})
        AND (t.sla_breached, t.sla_warned, t.first_response_breached, t.first_response_warned)
            = (s.sla_breached, s.sla_warned, s.first_response_breached, s.first_response_warned)
    RETURNING t.id, t.tenant_id, t.team_id, t.number, t.subject, t.priority,
        t.sla_breached AND NOT s.sla_breached AS breach,
        t.sla_warned AND NOT s.sla_warned AS warn,
        t.first_response_breached AND NOT s.first_response_breached AS first_breach,
        t.first_response_warned AND NOT s.first_response_warned AS first_warn
), logged AS (
    INSERT INTO core_auditlog (tenant_id, created_at, updated_at, actor_id, actor_label,
        action, object_type, object_id, object_repr, before, after, reason)
    SELECT tenant_id, %(now)s, %(now)s, NULL, 'system', audit.action,
        'tickets.ticket', id::text, left(number || ' ' || subject, 200), NULL, audit.after, ''
    FROM hit, LATERAL (
        SELECT 'ticket.sla_breached' AS action,
            jsonb_build_object('sla_breached', true, 'priority', priority) AS after
        WHERE breach
        UNION ALL
        SELECT 'ticket.first_response_breached',
            jsonb_build_object('first_response_breached', true)
        WHERE first_breach
    ) AS audit
)
SELECT id, tenant_id, team_id, number, breach, warn, first_breach, first_warn FROM hit ORDER BY id
"""


@dataclasses.dataclass
class ScanResult:
    """Ids of the tickets a scan flagged as breached and warned about (the
    resolution target, then the first response), and the alert jobs it
    queued."""

    breached: list[int] = dataclasses.field(default_factory=list)
    warned: list[int] = dataclasses.field(default_factory=list)
    first_response_breached: list[int] = dataclasses.field(default_factory=list)
    first_response_warned: list[int] = dataclasses.field(default_factory=list)
    alerts: int = 0


# The kinds of alert, in the order of the flags in the scan's rows.
_KINDS = ("breach", "warning", "first_response_breach", "first_response_warning")


def _collect(
    rows: list[tuple[Any, ...]],
) -> tuple[list[list[int]], list[tuple[int, str, dict[str, Any]]]]:
    """From the scan's rows (id, tenant id, team id, number, then one flag
    per kind of alert): the ticket ids flagged per kind, and one
    outbox job (tenant id, kind, payload) per kind and team naming its
    tickets (the first ``ALERT_LIST_LIMIT`` numbers, and the count); tickets
    with no team alert nobody."""
    ids: list[list[int]] = []
    per_team: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    for k in range(len(_KINDS)):
        flagged = [row for row in rows if row[4 + k]]
        ids.append([row[0] for row in flagged])
        for row in flagged:
            if row[2] is not None:
                per_team[(k, row[1], row[2])].append(row[3])
    jobs = [
        (
            tenant_id,
            JOB_KIND,
            {
                "team_id": team_id,
                "kind": _KINDS[k],
                "count": len(numbers),
                "numbers": sorted(numbers)[:ALERT_LIST_LIMIT],
            },
        )
        for (k, tenant_id, team_id), numbers in sorted(per_team.items())
    ]
    return ids, jobs


@transaction.atomic
def scan_sla(*, now: dt.datetime | None = None) -> ScanResult:
    """Flag every ticket in ``new`` or ``in_progress`` (waiting on the
    customer pauses the clock) whose ``sla_due_at`` is at or before ``now``
    (aware; default ``clock.now()``): ``sla_breached`` set, priority raised
    one step (urgent stays urgent), audited as ``ticket.sla_breached``. Mark
    ``sla_warned`` on those past ``sla_warn_at`` and not breached (before or
    by this scan). The same for the first response of tickets with no public
    reply yet (``first_response_breached``, audited as
    ``ticket.first_response_breached``; ``first_response_warned``); a ticket
    can breach both targets in one scan, both are recorded. Each ticket is
    flagged and warned about once per target. Queues one email per team and
    kind to the team lead (``tickets.sla_alert`` outbox jobs, one INSERT).
    The result lists ticket ids in ascending order.

    Idempotent: a second scan at the same instant finds nothing.
    """
    moment = now or clock.now()
    with connection.cursor() as cursor:
        cursor.execute(_SCAN, {"now": moment})
        rows = cursor.fetchall()
    if not rows:
        return ScanResult()
    ids, jobs = _collect(rows)
    outbox.enqueue_many(jobs)
    return ScanResult(
        breached=ids[0],
        warned=ids[1],
        first_response_breached=ids[2],
        first_response_warned=ids[3],
        alerts=len(jobs),
    )
