"""API tokens: a staff user's credentials for the REST API, stored hashed."""

from __future__ import annotations

from django.db import models

from ispstack.core.fields import ClockDateTimeField
from ispstack.core.models import Tenant, User
from ispstack.core.tenancy import TenantQuerySet


class ApiToken(models.Model):
    """One API token of a staff user.

    The raw token (``ispk_<11 hex>_<43 url-safe characters>``, 256 random bits
    after the prefix) is shown once, when it is created; the table keeps its
    ``prefix`` (the first 16 characters, for people to tell tokens apart)
    and the SHA-256 ``digest`` of the whole token, by which a request's token
    is looked up. A fast hash is enough for a random secret of that length (as
    GitHub's and NetBox's tokens do); PBKDF2 is for guessable passwords.

    ``scopes`` is a list of ``*`` (everything the user may do),
    ``*:read`` (read-only), ``<app>:read`` or ``<app>:write`` (the routes of
    that app's ``api/urls.py``, write implying read); see ``api.scopes``.
    ``tenant`` is the user's, kept on the row for tenant-scoped reads; it is
    null for a platform operator's token, as on the user.
    """

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = ClockDateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True, help_text="UTC; empty: never.")
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    last_ip = models.GenericIPAddressField(
        null=True, blank=True, editable=False, help_text="Address of the last use."
    )
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"
