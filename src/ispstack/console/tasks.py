"""Celery tasks of the console."""

from ispstack.console.exports import purge_expired_exports
from ispstack.core.job_log import periodic_task


@periodic_task("ispstack.console.purge_exports")
def purge_exports_task() -> int:
    """Delete expired export files (hourly with celery beat)."""
    return purge_expired_exports()
