"""Celery tasks of accounting: thin wrappers around services."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from ispstack.accounting.journal.runner import post_journal
from ispstack.accounting.services import recognise_revenue
from ispstack.core import clock
from ispstack.core.job_log import job_run, periodic_task
from ispstack.core.models import Tenant


def _tenants_through(through: str | None) -> Iterator[tuple[Tenant, dt.date]]:
    """Each tenant with the day a run goes through: ``through`` (ISO date)
    or the tenant's yesterday, its last complete day."""
    fixed = dt.date.fromisoformat(through) if through else None
    for tenant in Tenant.objects.all():
        yield tenant, fixed or clock.today(tenant) - dt.timedelta(days=1)


@periodic_task("ispstack.accounting.post_journal")
def post_journal_task(through: str | None = None) -> dict[str, int]:
    """Post every tenant's journal through ``through`` (ISO date; default
    each tenant's yesterday, the last complete day). Returns entries written
    per tenant slug; each tenant's part is logged on its own."""
    written = {}
    for tenant, day in _tenants_through(through):
        with job_run(post_journal_task.name, tenant=tenant, arguments={"through": day}) as logged:
            counts = post_journal(tenant=tenant, through=day)
            written[tenant.slug] = sum(counts.values())
            logged.counts = counts
    return written


@periodic_task("ispstack.accounting.recognise_revenue")
def recognise_revenue_task(through: str | None = None) -> dict[str, int]:
    """Write the revenue schedule of every tenant's new documents through
    ``through`` (ISO date; default each tenant's yesterday), so the revenue
    pages and the deferred balance are current between month closes (a
    close recognises its month again, a no-op for what is done). Returns
    schedule rows written per tenant slug; each tenant's part is logged on
    its own."""
    written = {}
    for tenant, day in _tenants_through(through):
        arguments = {"through": day}
        with job_run(recognise_revenue_task.name, tenant=tenant, arguments=arguments) as logged:
            counts = recognise_revenue(tenant=tenant, through=day)
            logged.counts = dataclasses.asdict(counts)
            written[tenant.slug] = sum(logged.counts.values())
    return written
