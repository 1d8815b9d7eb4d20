"""A log of every message sent to a customer, with its delivery result, and
each customer's choice of the notices they receive by email and SMS."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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


class NotificationKind(models.TextChoices):
    """The notices a customer may switch off, per channel
    (``NotificationPreference``). Callers of ``services.send_email`` and
    ``sms.send_sms`` name the kind of what they send; a message sent without
    a kind (password reset and portal invitation links, credit notes,
    acknowledgements, staff alerts) always goes."""

    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    DUNNING_REMINDER = "dunning_reminder", _("Payment reminder")
    OUTAGE = "outage", _("Outage in your area")
    TICKET_REPLY = "ticket_reply", _("Reply to your ticket")
    PLAN_CHANGE = "plan_change", _("Plan change")


class NotificationPreference(TenantScopedModel):
    """Whether ``customer`` receives the notices of ``kind`` by ``email`` and
    by ``sms``. No row for a kind means both channels are on (the default);
    the customer changes them in the portal. At most one row per customer
    and kind.

    ``customer`` is named by its label, not imported: this app knows no
    business object, the customers app sits beside it."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=True)

    class Meta:
        ordering = ["customer", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], name="notifications_preference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}: email {self.email}, SMS {self.sms}"
