"""Celery tasks of radius."""

from celery import shared_task

from ispstack.radius.sessions import close_stale_sessions


@shared_task(name="ispstack.radius.close_stale_sessions")
def close_stale_sessions_task() -> int:
    """Close sessions silent for three interim intervals."""
    return close_stale_sessions()
