"""Celery tasks of collections: thin wrappers around services."""

from __future__ import annotations

import datetime as dt

from ispstack.collections.services import run_collections
from ispstack.core import clock
from ispstack.core.job_log import job_run, periodic_task
from ispstack.core.models import Tenant


@periodic_task("ispstack.collections.run_collections")
def run_collections_task(as_of: str | None = None) -> dict[str, int]:
    """Run collections for every tenant; returns suspensions per tenant slug.
    Each tenant's part is logged on its own (``core.job_log``)."""
    suspended = {}
    for tenant in Tenant.objects.all():
        day = dt.date.fromisoformat(as_of) if as_of else clock.today(tenant)
        with job_run(run_collections_task.name, tenant=tenant, arguments={"as_of": day}) as logged:
            run = run_collections(tenant=tenant, as_of=day)
            suspended[tenant.slug] = run.suspended
            logged.counts = {"suspended": run.suspended, "reconnected": run.reconnected}
    return suspended
