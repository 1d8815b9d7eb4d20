"""Celery tasks of usage."""

from celery import shared_task

from ispstack.usage.services import rollup


@shared_task(name="ispstack.usage.rollup")
def rollup_task() -> int:
    """Fold new radacct rows into daily usage, check data caps and bill the
    overage of ended cycles; returns the radacct rows read."""
    from ispstack.core.models import Tenant
    from ispstack.usage.caps import enforce

    read = rollup()
    for tenant in Tenant.objects.all():
        enforce(tenant)
    return read
