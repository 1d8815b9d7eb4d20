"""Webhook endpoints of a tenant and the deliveries of events to them."""

from __future__ import annotations

import base64
import secrets

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.models import TenantScopedModel

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64 (256 bits,
    the HMAC-SHA256 key length)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(TenantScopedModel):
    """A URL of the tenant that receives the events named in ``event_types``
    (``"subscription.suspended"``; see ``core.events``), signed with ``secret``."""

    url = models.URLField(max_length=2000)
    event_types = ArrayField(models.CharField(max_length=80), size=100)
    secret = models.CharField(max_length=80, default=generate_secret)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantScopedModel):
    """One event sent (or to send) to one endpoint, with its attempts.

    ``message_id`` is the ``webhook-id`` header, the same on every attempt
    and replay, so a receiver can drop duplicates.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=80)
    message_id = models.CharField(max_length=100, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhooks_one_delivery_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"
