"""Portal accounts: the people of a customer who sign in to the portal."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ispstack.catalog.models import Plan
from ispstack.core.models import Tenant, TenantScopedModel, User
from ispstack.core.tenancy import TenantQuerySet
from ispstack.customers.models import Customer
from ispstack.portal import branding
from ispstack.subscriptions.models import PlanChange, Subscription


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
    spends the links sent before. ``language`` is a code of
    ``settings.PORTAL_LANGUAGES`` the portal is shown in; empty means the
    tenant's branding locale's language, else the browser's
    (``portal.language``).
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_users")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=PortalRole.choices, default=PortalRole.OWNER)
    password = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    language = models.CharField(
        max_length=8, blank=True, default="", choices=settings.PORTAL_LANGUAGES
    )
    sms_sign_in = models.BooleanField(
        default=False,
        help_text="Ask for a one-time code sent by SMS after the password (the user's choice).",
    )

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


def logo_path(instance: PortalBranding, filename: str) -> str:
    """Where a tenant's portal logo is stored under MEDIA_ROOT: per tenant, a
    random name (never the uploaded one) with the checked kind's extension."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"portal/logos/{instance.tenant_id}/{secrets.token_hex(8)}.{extension}"


class PortalBranding(models.Model):
    """How a tenant's customer portal looks (white label): the name, logo,
    colours, contact details and footer shown on every portal page and on
    the sign-in page, and the locale its amounts and dates are written in.

    One row per tenant (``core.tenant_settings``); read it with
    ``portal.selectors.brand_of``. Empty fields fall back to the tenant's
    (name, email) or to the portal's own look. ``primary_color`` (the top
    bar, links) and ``accent_color`` (buttons, the current tab) carry white
    text, so each must reach a WCAG AA contrast of 4.5:1 with white
    (``portal.branding.check_colour``). ``locale`` (``de_DE``, ``en_ZA``)
    formats amounts and dates with Babel's CLDR data; empty keeps the
    interface's format. ``sms_sign_in`` (the portal's one sign-in policy,
    kept on its one tenant settings row) asks every portal user of the
    tenant for a one-time code by SMS after the password
    (``portal.sign_in_codes``). Logos: PNG, JPEG or SVG up to
    ``PORTAL_LOGO_MAX_BYTES``, checked by ``portal.branding.check_logo`` and
    served by the portal itself (``portal:logo``), never from MEDIA.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="portal_branding"
    )
    display_name = models.CharField(
        _("display name"),
        max_length=200,
        blank=True,
        help_text=_("The name customers see in the portal; empty: the tenant's name."),
    )
    logo = models.FileField(
        _("logo"),
        upload_to=logo_path,
        blank=True,
        max_length=200,
        help_text=_("PNG, JPEG or SVG (no scripts); shown in the portal's header."),
    )
    primary_color = models.CharField(
        _("primary colour"),
        max_length=20,
        blank=True,
        help_text=_(
            "Hex colour of the top bar and links, e.g. #0b5cad; white text on it needs a "
            "contrast of at least 4.5:1. Empty: the portal's blue."
        ),
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=20,
        blank=True,
        help_text=_(
            "Hex colour of buttons and the current tab; white text on it needs a contrast "
            "of at least 4.5:1. Empty: the primary colour."
        ),
    )
    support_email = models.EmailField(
        _("support email"), blank=True, help_text=_("Empty: the tenant's email address.")
    )
    support_phone = models.CharField(_("support phone"), max_length=40, blank=True)
    website = models.URLField(
        _("website"), blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    footer_text = models.TextField(
        _("footer text"),
        max_length=500,
        blank=True,
        help_text=_("Plain text at the foot of every portal page (no HTML)."),
    )
    locale = models.CharField(
        _("locale"),
        max_length=20,
        blank=True,
        help_text=_(
            "How amounts and dates are written in the portal, e.g. de_DE (1.234,50 €) or "
            "en_ZA. Empty: the interface's format."
        ),
    )
    sms_sign_in = models.BooleanField(
        _("sign-in code by SMS"),
        default=False,
        help_text=_(
            "Every portal user types a one-time code sent by SMS to the customer's mobile "
            "number after the password. Users without a number on file cannot sign in."
        ),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("portal branding")
        verbose_name_plural = _("portal branding")

    def __str__(self) -> str:
        return str(_("Portal branding of %(tenant)s") % {"tenant": self.tenant})

    @property
    def version(self) -> str:
        """A short digest of what the logo and stylesheet URLs serve (the
        colours and the stored logo's name, new at every upload): it changes
        when they do, so browsers fetch the new ones at once."""
        seen = f"{self.primary_color}|{self.accent_color}|{self.logo.name if self.logo else ''}"
        return hashlib.sha256(seen.encode()).hexdigest()[:12]

    def clean(self) -> None:
        """Normalise colours and locale and check each field's rule; the
        errors name their field."""
        errors: dict[str, Any] = {}
        labels = {"primary_color": _("primary colour"), "accent_color": _("accent colour")}
        for name, label in labels.items():
            value = getattr(self, name)
            if value:
                try:
                    setattr(self, name, branding.check_colour(value, str(label)))
                except ValidationError as exc:
                    errors[name] = exc
        if self.locale:
            try:
                self.locale = branding.check_locale(self.locale)
            except ValidationError as exc:
                errors["locale"] = exc
        if self.support_phone and not branding.is_phone(self.support_phone):
            errors["support_phone"] = ValidationError(
                _("Write a phone number with digits, spaces and + - ( ) only."), code="invalid"
            )
        if self.logo and not getattr(self.logo, "_committed", True):
            try:
                branding.check_logo(self.logo.file)
            except ValidationError as exc:
                errors["logo"] = exc
        if errors:
            raise ValidationError(errors)


class SignInCode(TenantScopedModel):
    """The one-time sign-in code last sent by SMS to a portal user (one row
    per user, reused by every sign-in; see ``portal.sign_in_codes``).

    ``digest`` is an HMAC-SHA256 (``SECRET_KEY``) of the code, never the
    code: a database dump without the key tells nothing. ``requested_at``
    (UTC) is when a code was last asked for (the resend throttle);
    ``sent_at`` (UTC) when the SMS job made and sent it, from which it
    expires; ``tries`` counts wrong entries of this code. Empty ``digest``:
    no code is outstanding.
    """

    user = models.OneToOneField(PortalUser, on_delete=models.CASCADE, related_name="sign_in_code")
    digest = models.CharField(max_length=64, blank=True, editable=False)
    requested_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"sign-in code of {self.user_id}"


class PortalHost(TenantScopedModel):
    """A host name that opens a tenant's portal without the slug
    (``my.example-isp.net/`` and ``/login/``); see
    ``portal.middleware.PortalHostMiddleware``.

    One tenant per host (unique ignoring case; stored in lower case). The
    host must also be in ``ALLOWED_HOSTS``, or Django refuses the request
    before the portal sees it.
    """

    host = models.CharField(
        _("host name"),
        max_length=253,
        help_text=_("e.g. my.example-isp.net; add it to ALLOWED_HOSTS and point its DNS here."),
    )

    class Meta:
        ordering = ["host"]
        constraints = [
            models.UniqueConstraint(Lower("host"), name="portal_portalhost_host_unique"),
        ]

    def __str__(self) -> str:
        return self.host

    def clean(self) -> None:
        """The host in lower case without scheme or port (ValidationError on ``host``)."""
        try:
            self.host = branding.check_host(self.host)
        except ValidationError as exc:
            raise ValidationError({"host": exc}) from None


class PlanChangeState(models.TextChoices):
    """Where a customer's plan change request stands.

    ``submitted`` waits for the back office; ``approved`` has a billing
    ``PlanChange`` scheduled for its effective date; ``applied`` is on the new
    plan; ``rejected`` (with a reason) and ``cancelled`` (by the customer,
    while submitted, or replaced by a plan change the back office scheduled,
    while approved) are final. ``submitted`` and ``approved`` are open: one
    open request per subscription.
    """

    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


OPEN_PLAN_CHANGE_STATES = (PlanChangeState.SUBMITTED, PlanChangeState.APPROVED)


class PlanChangeTiming(models.TextChoices):
    """When the customer asks the new plan to start: at the next billing
    cycle (no proration), or now (prorated; only where the tenant allows it)."""

    NEXT_CYCLE = "next_cycle", "At the next billing cycle"
    NOW = "now", "Now"


class PlanChangeRequest(TenantScopedModel):
    """A customer's request, made in the portal, to move a subscription to
    another plan; the back office approves or rejects it (see
    ``portal.plan_changes.services``).

    ``from_plan`` is the plan at request time; ``monthly_difference`` is the
    new plan's monthly price minus the old one's (net, currency units of
    ``currency``; > 0 is an upgrade). ``effective_date`` is the tenant-local
    first day on the new plan (the next cycle's start, or the request day for
    ``now``; the day it was applied once applied). ``plan_change`` is the
    billing ``PlanChange`` the approval scheduled or applied.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="plan_change_requests"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="plan_change_requests"
    )
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    timing = models.CharField(
        max_length=10, choices=PlanChangeTiming.choices, default=PlanChangeTiming.NEXT_CYCLE
    )
    effective_date = models.DateField(help_text="First day on the new plan.")
    monthly_difference = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    state = models.CharField(
        max_length=10, choices=PlanChangeState.choices, default=PlanChangeState.SUBMITTED
    )
    reason = models.TextField(blank=True, help_text="Why the request was rejected or cancelled.")
    requested_by = models.ForeignKey(
        PortalUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    plan_change = models.ForeignKey(
        PlanChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_planchangerequest", "Approve or reject plan change requests")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(state__in=["submitted", "approved"]),
                name="portal_planchangerequest_one_open",
            ),
            models.CheckConstraint(
                condition=~models.Q(to_plan=models.F("from_plan")),
                name="portal_planchangerequest_other_plan",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(reason=""),
                name="portal_planchangerequest_rejection_reason",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "state"], name="portal_pcr_tenant_state_idx")]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.from_plan} -> {self.to_plan} ({self.state})"

    @property
    def is_upgrade(self) -> bool:
        """True when the new plan costs more a month."""
        return self.monthly_difference > 0


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
