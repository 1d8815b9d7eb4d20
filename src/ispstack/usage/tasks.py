"""Celery tasks of usage."""

from celery import shared_task

from ispstack.usage.services import rollup


@shared_task(name="ispstack.usage.rollup")
def rollup_task() -> int:
    """Fold new radacct rows into daily usage, check data caps and bill the
    overage of ended cycles; returns the radacct rows read."""
    from ispstack.core import clock
    from ispstack.core.models import Tenant
    from ispstack.usage.caps import check_caps
    from ispstack.usage.overage import bill_overage

    read = rollup()
    for tenant in Tenant.objects.all():
        today = clock.today(tenant)
        check_caps(tenant=tenant, today=today)
        bill_overage(tenant=tenant, today=today)
    return read
