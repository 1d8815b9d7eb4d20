"""Collections: payment reminders sent and collections runs."""

from __future__ import annotations

from django.db import models

from ispstack.billing.models import Invoice
from ispstack.core.models import TenantScopedModel


class Reminder(TenantScopedModel):
    """A payment reminder for an overdue invoice; one per invoice and level."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    level = models.PositiveSmallIntegerField(default=1)
    sent_on = models.DateField()
    days_past_due = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"], name="collections_reminder_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.level} for {self.invoice}"


class CollectionRun(TenantScopedModel):
    """One collections run for an ``as_of`` date and what it did."""

    as_of = models.DateField()
    reminders_sent = models.PositiveIntegerField(default=0)
    suspended = models.PositiveIntegerField(default=0)
    reconnected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"collections {self.as_of}"
