"""ispstack: an open-source BSS/OSS for internet service providers."""

from ispstack.celery import app as celery_app

__all__ = ["celery_app"]
