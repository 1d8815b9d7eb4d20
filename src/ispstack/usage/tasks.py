"""Celery tasks of usage."""

from celery import shared_task

from ispstack.usage.services import rollup


@shared_task(name="ispstack.usage.rollup")
def rollup_task() -> int:
    """Fold new radacct rows into daily usage; returns rows read."""
    return rollup()
