"""Celery tasks of the console."""

from celery import shared_task

from ispstack.console.exports import purge_expired_exports
from ispstack.core.job_log import periodic


@shared_task(name="ispstack.console.purge_exports")
@periodic("ispstack.console.purge_exports")
def purge_exports_task() -> int:
    """Delete expired export files (hourly with celery beat)."""
    return purge_expired_exports()
