"""Celery tasks of billing: thin wrappers around services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from ispstack.billing.services import run_billing
from ispstack.core import clock
from ispstack.core.models import Tenant


@shared_task(name="ispstack.billing.run_billing")
def run_billing_task(as_of: str | None = None) -> dict[str, int]:
    """Bill every tenant for ``as_of`` (ISO date; default each tenant's today).

    Returns invoices created per tenant slug.
    """
    created = {}
    for tenant in Tenant.objects.all():
        day = dt.date.fromisoformat(as_of) if as_of else clock.today(tenant)
        created[tenant.slug] = run_billing(tenant=tenant, as_of=day).invoices_created
    return created
