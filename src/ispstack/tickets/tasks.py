"""Celery tasks of the helpdesk: thin wrappers around services."""

from __future__ import annotations

from ispstack.core.job_log import periodic_task
from ispstack.tickets.outages.services import begin_due_outages
from ispstack.tickets.scan import scan_sla


@periodic_task("ispstack.tickets.scan_sla")
def scan_sla_task() -> dict[str, int]:
    """Flag SLA breaches and warnings of every tenant's open tickets."""
    result = scan_sla()
    return {
        "breached": len(result.breached),
        "warned": len(result.warned),
        "first_response_breached": len(result.first_response_breached),
        "first_response_warned": len(result.first_response_warned),
    }


@periodic_task("ispstack.tickets.begin_due_outages")
def begin_due_outages_task() -> int:
    """Turn planned outages whose start has come into active ones."""
    return len(begin_due_outages())
