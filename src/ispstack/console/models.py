"""Console records: exports of a list, made by a background job."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.models import TenantScopedModel


def export_path(instance: Export, filename: str) -> str:
    """Where an export file is stored under MEDIA_ROOT (not served): per
    tenant, a random name; the download name is kept in ``filename``."""
    return f"exports/{instance.tenant_id}/{uuid.uuid4().hex}"


class Export(TenantScopedModel):
    """A CSV or XLSX file of a console list, filtered and sorted as the clerk
    asked (``query``: the list page's query string), written by the job
    ``console.export`` and downloadable by ``requested_by`` alone until
    ``expires_at``, after which the file and the row are deleted.

    ``rows_total`` is counted when the job starts; ``rows_done`` grows as rows
    are written (the progress the page shows).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    list_name = models.CharField(max_length=40)
    format = models.CharField(max_length=4, choices=Format.choices)
    query = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    filename = models.CharField(max_length=100)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["expires_at"], name="console_export_expires_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def progress(self) -> dict[str, Any]:
        """What the progress fragment shows: ``done`` of ``total`` rows."""
        return {"done": self.rows_done, "total": self.rows_total or 0}
