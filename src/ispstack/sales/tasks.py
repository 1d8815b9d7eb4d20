"""Celery tasks of sales: thin wrappers around services."""

from __future__ import annotations

from ispstack.core.job_log import periodic_task
from ispstack.sales.services import expire_quotes


@periodic_task("ispstack.sales.expire_quotes")
def expire_quotes_task() -> int:
    """Mark the sent quotes past their validity expired."""
    return expire_quotes()
