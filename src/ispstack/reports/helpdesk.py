"""Helpdesk reports, computed in PostgreSQL from the tickets' recorded times
(docs/metrics.md): resolution times and SLA compliance per month, by
priority or by team.

A ticket counts in the month it was resolved (``Ticket.resolved_at`` in the
tenant's calendar). The helpdesk records on each ticket the facts these
reports read (``tickets.services``, ``tickets.scan``): the business minutes
from opening to resolution without the time spent waiting on the customer
(``resolution_time_minutes``), the due times of the first public reply and
of the resolution (moved later by those waits), when the first public reply
was sent, and the scan's breach flags. A reopened ticket loses its
resolution until it is resolved again, so it leaves the month it had been
resolved in: the one way a past month's figures change. Priority and team
are the ticket's own now: a breach raises the priority one step, so a
ticket that breached counts under its raised priority.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ispstack.core.clock import month_end
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.reports import sql
from ispstack.reports.selectors import HUNDRED, Filters
from ispstack.tickets.choices import Priority

#: What the rows are grouped by, besides the month.
GROUPINGS = ("priority", "team")


def grouping(value: Any) -> str:
    """The ``by`` parameter: ``priority`` (the default) or ``team``.

    Raises InvalidInput (field ``by``) for anything else."""
    by = str(value or "").strip() or GROUPINGS[0]
    if by not in GROUPINGS:
        raise InvalidInput(f"must be one of {', '.join(GROUPINGS)}", field="by")
    return by


# The resolved tickets of the range with the key and label of their group;
# the priority's key sorts the groups from low to urgent.
_RESOLVED = """
WITH resolved AS (
    SELECT t.*, date_trunc('month', t.resolved_at AT TIME ZONE %(tz)s)::date AS month,
        CASE WHEN %(by)s = 'team' THEN COALESCE(tm.name, '')
             ELSE array_position(%(priorities)s::text[], t.priority::text)::text END AS key
    FROM {ticket} t
    LEFT JOIN {team} tm ON tm.id = t.team_id
    LEFT JOIN {customer} c ON c.id = t.customer_id
    WHERE t.tenant_id = %(tenant)s AND t.resolved_at IS NOT NULL
      AND (t.resolved_at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(end)s
      AND (%(tag)s::jsonb IS NULL OR c.tags @> %(tag)s::jsonb)
)
"""

_RESOLUTION = (
    _RESOLVED
    + """
SELECT month, key, count(*),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time_minutes),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution_time_minutes)
FROM resolved WHERE resolution_time_minutes IS NOT NULL
GROUP BY month, key ORDER BY month, key
"""
)

# First response: measured on tickets with a due time that were answered or
# flagged late; met when answered by the due time and never flagged. A ticket
# resolved without a public reply and never flagged has no response to
# measure. Resolution: measured on tickets with a due time (an outage's
# tickets have none); met when resolved by it and never flagged.
_SLA = (
    _RESOLVED
    + """
SELECT month, key, count(*),
    count(*) FILTER (WHERE first_response_due_at IS NOT NULL
        AND (first_response_at IS NOT NULL OR first_response_breached)),
    count(*) FILTER (WHERE first_response_due_at IS NOT NULL AND NOT first_response_breached
        AND first_response_at <= first_response_due_at),
    count(*) FILTER (WHERE sla_due_at IS NOT NULL),
    count(*) FILTER (WHERE sla_due_at IS NOT NULL AND NOT sla_breached
        AND resolved_at <= sla_due_at)
FROM resolved GROUP BY month, key ORDER BY month, key
"""
)


def _params(tenant: Tenant, filters: Filters, by: str) -> dict[str, Any]:
    return {
        "tenant": tenant.pk,
        "tz": tenant.timezone,
        "by": by,
        "priorities": [p.value for p in Priority],
        "start": filters.start,
        "end": month_end(filters.end),
        "tag": json.dumps([filters.tag]) if filters.tag else None,
    }


def _label(by: str, key: str) -> str:
    if by == "team":
        return key or _("No team")
    return str(list(Priority)[int(key) - 1].label)


def _hours(minutes: float | None) -> Decimal | None:
    if minutes is None:
        return None
    return (Decimal(repr(minutes)) / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ResolutionMonth:
    """Tickets resolved in ``month`` in one group (a priority's label or a
    team's name, "No team" for none): how many, and the median and 90th
    percentile of their resolution times in business hours (two decimals;
    percentiles interpolated between the nearest ranks, as PostgreSQL's
    ``percentile_cont``)."""

    month: dt.date
    group: str
    resolved: int
    median_hours: Decimal | None
    p90_hours: Decimal | None


def resolution_times(
    tenant: Tenant, filters: Filters, *, by: str = "priority"
) -> list[ResolutionMonth]:
    """Resolution times per month of ``filters`` and ``by`` group (``priority``
    or ``team``), oldest month first; groups without a resolved ticket in a
    month have no row. ``filters.tag`` keeps the tickets of customers tagged so;
    its plan is not read (a ticket has no plan of its own).

    Raises InvalidInput (field ``by``) for another grouping."""
    by = grouping(by)
    return [
        ResolutionMonth(row[0], _label(by, row[1]), row[2], _hours(row[3]), _hours(row[4]))
        for row in sql.fetch(_RESOLUTION, _params(tenant, filters, by))
    ]


@dataclass(frozen=True)
class SlaMonth:
    """SLA compliance of the tickets resolved in ``month`` in one group:
    ``first_response_met`` of ``first_response_measured`` answered on time,
    ``resolution_met`` of ``resolution_measured`` resolved on time."""

    month: dt.date
    group: str
    resolved: int
    first_response_measured: int
    first_response_met: int
    resolution_measured: int
    resolution_met: int

    @property
    def first_response_percent(self) -> Decimal | None:
        """Share answered on time, in percent; None when none was measured."""
        if not self.first_response_measured:
            return None
        return HUNDRED * self.first_response_met / self.first_response_measured

    @property
    def resolution_percent(self) -> Decimal | None:
        """Share resolved on time, in percent; None when none was measured."""
        if not self.resolution_measured:
            return None
        return HUNDRED * self.resolution_met / self.resolution_measured


def sla_compliance(tenant: Tenant, filters: Filters, *, by: str = "priority") -> list[SlaMonth]:
    """SLA compliance per month of ``filters`` and ``by`` group, oldest month
    first (see ``resolution_times`` for the groups and filters).

    Raises InvalidInput (field ``by``) for another grouping."""
    by = grouping(by)
    return [
        SlaMonth(row[0], _label(by, row[1]), *row[2:])
        for row in sql.fetch(_SLA, _params(tenant, filters, by))
    ]
