"""Portal accounts: the people of a customer who sign in to the portal."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models.functions import Lower

from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer


class PortalRole(models.TextChoices):
    """What a portal user does for the customer. Both see the whole account in
    this first step; later steps let only the owner manage users and plans."""

    OWNER = "owner", "Owner"
    BILLING = "billing", "Billing contact"


class PortalUser(TenantScopedModel):
    """A person who signs in to the customer portal for one customer.

    Not a staff ``core.User`` (see ``ispstack.portal``). ``email`` is unique
    per tenant ignoring case: it is the sign-in name. ``password`` is a
    Django password hash; unusable until the user accepts the invitation.
    ``last_login`` is part of every reset link's signature, so signing in
    spends the links sent before.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_users")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=PortalRole.choices, default=PortalRole.OWNER)
    password = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "email"]
        constraints = [
            models.UniqueConstraint(
                "tenant", Lower("email"), name="portal_portaluser_email_unique"
            ),
        ]
        indexes = [models.Index(fields=["customer", "role"], name="portal_user_customer_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    def set_password(self, raw: str | None) -> None:
        """Hash ``raw`` into ``password``; None makes the password unusable."""
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        """Whether ``raw`` is the password (upgrading an outdated hash in place)."""

        def upgrade(value: str) -> None:
            self.set_password(value)
            type(self).objects.filter(pk=self.pk).update(password=self.password)

        return check_password(raw, self.password, upgrade)

    @property
    def has_password(self) -> bool:
        """False until the invitation is accepted."""
        return not self.password.startswith("!")


class PortalToken(TenantScopedModel):
    """One API token of a portal user, for ``/api/v1/portal/`` (a customer's
    app or script), never for the staff API.

    Stored as the staff API's tokens are: the raw token
    (``ispc_<11 hex>_<43 url-safe characters>``) is shown once, when it is
    created; the row keeps its ``prefix`` (to tell tokens apart) and the
    SHA-256 ``digest`` of the whole token, by which a request's token is
    found. A portal token lives in this table only, so the staff API's
    authentication never finds it, and the portal API's never finds a staff
    token. Every token expires (``expires``, UTC); ``revoked`` ends it early.
    """

    user = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    expires = models.DateTimeField(help_text="UTC.")
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "portal API token"

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"
