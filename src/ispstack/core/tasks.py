"""Celery tasks of core: thin wrappers around the outbox."""

from celery import shared_task

from ispstack.core import outbox
from ispstack.core.job_log import periodic_task


@shared_task(name="ispstack.core.run_job")
def run_job_task(job_id: int) -> bool:
    """Perform one outbox job."""
    return outbox.run_job(job_id)


@periodic_task("ispstack.core.run_due_jobs")
def run_due_jobs_task() -> int:
    """Retry every due outbox job (schedule this every minute with celery beat)."""
    return outbox.run_due_jobs()


@periodic_task("ispstack.core.purge_idempotency_keys")
def purge_idempotency_keys_task() -> int:
    """Delete Idempotency-Key answers older than 24 h (hourly with celery beat)."""
    from ispstack.core.api.idempotency import purge_expired

    return purge_expired()
