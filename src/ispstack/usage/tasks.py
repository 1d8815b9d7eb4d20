"""Celery tasks of usage."""

from celery import shared_task

from ispstack.usage.services import rollup


@shared_task(name="ispstack.usage.rollup")
def rollup_task() -> int:
    """Fold new radacct rows into daily usage, then check data caps; returns rows read."""
    from ispstack.core import clock
    from ispstack.core.models import Tenant
    from ispstack.usage.caps import check_caps

    read = rollup()
    for tenant in Tenant.objects.all():
        check_caps(tenant=tenant, today=clock.today(tenant))
    return read
