"""Celery tasks of sales: thin wrappers around services."""

from __future__ import annotations

from ispstack.core.job_log import periodic_task
from ispstack.sales.contracts.renewals import process_contract_terms
from ispstack.sales.services import expire_quotes


@periodic_task("ispstack.sales.expire_quotes")
def expire_quotes_task() -> int:
    """Mark the sent quotes past their validity expired."""
    return expire_quotes()


@periodic_task("ispstack.sales.process_contract_terms")
def process_contract_terms_task() -> dict[str, int]:
    """Renew or end the contracts whose term ran out and queue renewal reminders."""
    return process_contract_terms()
