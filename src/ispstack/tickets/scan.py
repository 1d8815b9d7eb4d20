"""The periodic SLA scan: flag breaches and warn before them, set-based.

One ``UPDATE ... RETURNING`` flags every ticket still being worked whose
``sla_due_at`` has passed (and raises its priority one step), writing its
audit rows in the same statement; a second one marks the tickets that have
reached their warning time. The first response is scanned the same way: a
ticket in ``new`` or ``in_progress`` with no public reply yet whose
``first_response_due_at`` has passed gets ``first_response_breached`` (its
priority is not raised: the resolution breach escalates), and one past
``first_response_warn_at`` gets ``first_response_warned``. The scan reads
only the partial indexes on open tickets (``tickets_open_sla_due_idx``,
``tickets_open_sla_warn_idx``, ``tickets_open_first_due_idx``,
``tickets_open_first_warn_idx``), so its cost follows the number of open
tickets due, not the size of the table. The team leads get one email per
team and scan, through the outbox.
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

_BREACH = f"""
WITH hit AS (
    UPDATE tickets_ticket t
    SET sla_breached = true,
        priority = CASE t.priority WHEN 'low' THEN 'normal' WHEN 'normal' THEN 'high'
                   ELSE 'urgent' END,
        updated_at = %(now)s
    WHERE t.state IN ({_RUNNING}) AND NOT t.sla_breached AND t.sla_due_at <= %(now)s
    RETURNING t.id, t.tenant_id, t.team_id, t.number, t.subject, t.priority
), logged AS (
    INSERT INTO core_auditlog (tenant_id, created_at, updated_at, actor_id, actor_label,
        action, object_type, object_id, object_repr, before, after, reason)
    SELECT tenant_id, %(now)s, %(now)s, NULL, 'system', 'ticket.sla_breached',
        'tickets.ticket', id::text, left(number || ' ' || subject, 200), NULL,
        jsonb_build_object('sla_breached', true, 'priority', priority), ''
    FROM hit
)
SELECT id, tenant_id, team_id, number FROM hit
"""

_WARN = f"""
UPDATE tickets_ticket t
SET sla_warned = true, updated_at = %(now)s
WHERE t.state IN ({_RUNNING}) AND NOT t.sla_warned AND t.sla_warn_at <= %(now)s
    AND NOT t.sla_breached
RETURNING t.id, t.tenant_id, t.team_id, t.number
"""

_FIRST_BREACH = f"""
WITH hit AS (
    UPDATE tickets_ticket t
    SET first_response_breached = true, updated_at = %(now)s
    WHERE t.state IN ({_RUNNING}) AND t.first_response_at IS NULL
        AND NOT t.first_response_breached AND t.first_response_due_at <= %(now)s
    RETURNING t.id, t.tenant_id, t.team_id, t.number, t.subject
), logged AS (
    INSERT INTO core_auditlog (tenant_id, created_at, updated_at, actor_id, actor_label,
        action, object_type, object_id, object_repr, before, after, reason)
    SELECT tenant_id, %(now)s, %(now)s, NULL, 'system', 'ticket.first_response_breached',
        'tickets.ticket', id::text, left(number || ' ' || subject, 200), NULL,
        jsonb_build_object('first_response_breached', true), ''
    FROM hit
)
SELECT id, tenant_id, team_id, number FROM hit
"""

_FIRST_WARN = f"""
UPDATE tickets_ticket t
SET first_response_warned = true, updated_at = %(now)s
WHERE t.state IN ({_RUNNING}) AND t.first_response_at IS NULL
    AND NOT t.first_response_warned AND t.first_response_warn_at <= %(now)s
    AND NOT t.first_response_breached
RETURNING t.id, t.tenant_id, t.team_id, t.number
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


def _alert(rows: list[tuple[Any, ...]], kind: str) -> int:
    per_team: dict[tuple[int, int], list[str]] = defaultdict(list)
    for _id, tenant_id, team_id, number in rows:
        if team_id is not None:
            per_team[(tenant_id, team_id)].append(number)
    for (tenant_id, team_id), numbers in per_team.items():
        outbox.enqueue(
            tenant=tenant_id,
            kind=JOB_KIND,
            payload={
                "team_id": team_id,
                "kind": kind,
                "count": len(numbers),
                "numbers": sorted(numbers)[:ALERT_LIST_LIMIT],
            },
        )
    return len(per_team)


@transaction.atomic
def scan_sla(*, now: dt.datetime | None = None) -> ScanResult:
    """Flag every ticket in ``new`` or ``in_progress`` (waiting on the
    customer pauses the clock) whose ``sla_due_at`` is at or before ``now``
    (aware; default ``clock.now()``): ``sla_breached`` set, priority raised
    one step (urgent stays urgent), audited as ``ticket.sla_breached``. Then
    mark ``sla_warned`` on those past ``sla_warn_at`` and not breached. Then
    the same for the first response of tickets with no public reply yet
    (``first_response_breached``, audited as
    ``ticket.first_response_breached``; ``first_response_warned``). Each
    ticket is flagged and warned about once per target. Queues one email per
    team and kind to the team lead (``tickets.sla_alert`` outbox jobs).

    Idempotent: a second scan at the same instant finds nothing.
    """
    moment = now or clock.now()
    params: dict[str, Any] = {"now": moment}
    with connection.cursor() as cursor:
        cursor.execute(_BREACH, params)
        breached = cursor.fetchall()
        cursor.execute(_WARN, params)
        warned = cursor.fetchall()
        cursor.execute(_FIRST_BREACH, params)
        first_breached = cursor.fetchall()
        cursor.execute(_FIRST_WARN, params)
        first_warned = cursor.fetchall()
    alerts = (
        _alert(breached, "breach")
        + _alert(warned, "warning")
        + _alert(first_breached, "first_response_breach")
        + _alert(first_warned, "first_response_warning")
    )
    return ScanResult(
        breached=[row[0] for row in breached],
        warned=[row[0] for row in warned],
        first_response_breached=[row[0] for row in first_breached],
        first_response_warned=[row[0] for row in first_warned],
        alerts=alerts,
    )
