"""Celery tasks of radius."""

from ispstack.core import job_log
from ispstack.core.job_log import periodic_task
from ispstack.radius.sessions import close_stale_sessions


@periodic_task("ispstack.radius.close_stale_sessions")
def close_stale_sessions_task() -> int:
    """Close sessions silent for three interim intervals."""
    return close_stale_sessions()


@periodic_task("ispstack.radius.retention")
def retention_task() -> dict[str, int]:
    """Move old closed sessions to the archive, then purge history past
    retention, the job log's old runs included (``JOB_LOG_RETENTION_DAYS``)."""
    from ispstack.radius.retention import archive_sessions, purge_history

    return {"archived": archive_sessions(), **purge_history(), "job_log": job_log.prune()}
