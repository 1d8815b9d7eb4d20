"""What ``/healthz`` checks: the database, the Celery broker when one is
configured, and how far the outbox lags behind.

Each check answers ``{"ok": bool, ...}`` with figures but never a URL, a
host name or an exception text (they may carry credentials); a failing
check names the exception's class only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

from ispstack.ops import selectors


def database() -> dict[str, Any]:
    """The default database answers ``SELECT 1``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def broker() -> dict[str, Any]:
    """The Celery broker (``CELERY_BROKER_URL``) accepts a connection within
    ``HEALTH_BROKER_TIMEOUT_SECONDS``; without a broker, tasks run in the
    process and there is nothing to check."""
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "configured": False}
    from ispstack.celery import app

    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means "down"
        return {"ok": False, "configured": True, "error": type(exc).__name__}
    return {"ok": True, "configured": True}


def outbox() -> dict[str, Any]:
    """The age in seconds of the oldest outbox job that is due and not done
    (0 when none is), against ``HEALTH_OUTBOX_MAX_LAG_SECONDS``: a job due
    longer than that means no worker runs them (or every attempt fails)."""
    try:
        lag = selectors.oldest_due_job_age()
    except Exception as exc:  # the database check names the cause
        return {"ok": False, "error": type(exc).__name__}
    limit = settings.HEALTH_OUTBOX_MAX_LAG_SECONDS
    return {"ok": lag <= limit, "oldest_due_seconds": lag, "limit_seconds": limit}


def report() -> tuple[bool, dict[str, Any]]:
    """Every check, and whether all passed."""
    checks = {"database": database(), "broker": broker(), "outbox": outbox()}
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "fail", "checks": checks}
