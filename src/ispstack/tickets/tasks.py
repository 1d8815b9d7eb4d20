"""Celery tasks of the helpdesk: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from ispstack.tickets.scan import scan_sla


@shared_task(name="ispstack.tickets.scan_sla")
def scan_sla_task() -> dict[str, int]:
    """Flag SLA breaches and warnings of every tenant's open tickets."""
    result = scan_sla()
    return {"breached": len(result.breached), "warned": len(result.warned)}
