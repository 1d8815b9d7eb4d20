"""A log of every message sent to a customer, with its delivery result."""

from __future__ import annotations

from django.db import models

from ispstack.core.models import TenantScopedModel


class EmailLog(TenantScopedModel):
    """One email handed to the mail backend (SMTP in production)."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    attachments = models.JSONField(default=list, help_text="File names attached.")
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    reference = models.CharField(
        max_length=80, blank=True, help_text="What the caller sent it for, e.g. 'invoice:42'."
    )

    class Meta:
        ordering = ["-created_at"]
        # What was sent for a document (the console shows each invoice's
        # reminders with their delivery); most emails carry a reference.
        indexes = [
            models.Index(
                fields=["tenant", "reference"],
                name="notifications_email_ref_idx",
                condition=~models.Q(reference=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class SmsLog(TenantScopedModel):
    """One SMS handed to the SMS gateway (SMPP or HTTP)."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.CharField(max_length=20, help_text="E.164")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices)
    message_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    reference = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "SMS log"

    def __str__(self) -> str:
        return f"{self.to}: {self.text[:30]}"
