"""The Celery application. Without ``CELERY_BROKER_URL`` tasks run inline."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispstack.settings")

app = Celery("ispstack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
