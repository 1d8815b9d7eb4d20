"""Celery tasks of vouchers: thin wrappers around services."""

from __future__ import annotations

from ispstack.core.job_log import periodic_task
from ispstack.core.models import Tenant
from ispstack.hotspot.vouchers.services import sweep


@periodic_task("ispstack.hotspot.sweep_vouchers")
def sweep_vouchers_task() -> int:
    """Refuse the vouchers whose validity ended and admit those whose plan's
    ``valid_from`` came, in every tenant; returns how many were refreshed."""
    return sum(sweep(tenant=tenant) for tenant in Tenant.objects.order_by("pk"))
