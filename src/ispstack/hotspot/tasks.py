"""Celery tasks of the hotspot app, one module per concept."""

from ispstack.hotspot.vouchers.tasks import sweep_vouchers_task

__all__ = ["sweep_vouchers_task"]
