"""Celery tasks of usage."""

from ispstack.core.job_log import job_run, periodic_task
from ispstack.usage.services import rollup


@periodic_task("ispstack.usage.rollup")
def rollup_task() -> int:
    """Fold new radacct rows into daily usage, check data caps and bill the
    overage of ended cycles; returns the radacct rows read."""
    from ispstack.core.models import Tenant
    from ispstack.usage.caps import enforce

    read = rollup()
    for tenant in Tenant.objects.all():
        with job_run("ispstack.usage.enforce_caps", tenant=tenant) as logged:
            logged.counts = enforce(tenant)
    return read
