"""Celery tasks of billing: thin wrappers around services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from ispstack.billing.runner import run_billing_if_due
from ispstack.core import clock
from ispstack.core.job_log import job_run, periodic_task
from ispstack.core.models import Tenant


@periodic_task("ispstack.billing.run_billing")
def run_billing_task(as_of: str | None = None) -> dict[str, int]:
    """Bill every tenant for ``as_of`` (ISO date; default each tenant's today).

    Returns invoices created per tenant slug; a tenant with nothing due gets
    no run row (``run_billing_if_due``) and counts 0. Each tenant's part is
    logged on its own (``core.job_log``).
    """
    created = {}
    for tenant in Tenant.objects.all():
        day = dt.date.fromisoformat(as_of) if as_of else clock.today(tenant)
        with job_run(run_billing_task.name, tenant=tenant, arguments={"as_of": day}) as logged:
            run = run_billing_if_due(tenant=tenant, as_of=day)
            created[tenant.slug] = run.invoices_created if run else 0
            logged.counts = {"invoices": created[tenant.slug]}
    return created


@shared_task(name="ispstack.billing.bill_chunk", acks_late=True)
def bill_chunk_task(run_id: int, subscription_ids: list[int]) -> int:
    """Bill one chunk of a billing run on a worker; returns invoices written."""
    from ispstack.billing.models import BillingRun
    from ispstack.billing.runner import bill_chunk

    return bill_chunk(BillingRun.objects.select_related("tenant").get(pk=run_id), subscription_ids)
