"""Captive portal tables: a tenant's hotspot policy, its captive users (self-
registered by email or phone), their one-time codes, and the walled garden
(what a client may reach before logging in)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ispstack.catalog.models import Plan
from ispstack.core.fields import EncryptedTextField
from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.network.inventory import Site
from ispstack.network.models import Nas


class HotspotPolicy(TenantScopedModel):
    """What a tenant's captive users get from RADIUS and what they agree to.

    One row per tenant, made with the defaults on first use
    (``captive.services.policy_for``). Session and idle times in seconds,
    rates in kbit/s (``Mikrotik-Rate-Limit`` and the other vendors' rate
    attributes of ``radius.attributes``), ``simultaneous_use`` is the
    ``Simultaneous-Use`` check item (logins at once per captive user).
    Product defaults: one hour per session, 15 minutes idle, 5/10 Mbit/s,
    one device at a time: a guest network, not a subscription.
    """

    session_timeout = models.PositiveIntegerField(
        _("session time (s)"), default=3600, help_text=_("Session-Timeout; 0: no limit.")
    )
    idle_timeout = models.PositiveIntegerField(
        _("idle time (s)"), default=900, help_text=_("Idle-Timeout; 0: no limit.")
    )
    upload_kbps = models.PositiveIntegerField(
        _("upload (kbit/s)"), default=5000, validators=[MinValueValidator(1)]
    )
    download_kbps = models.PositiveIntegerField(
        _("download (kbit/s)"), default=10000, validators=[MinValueValidator(1)]
    )
    simultaneous_use = models.PositiveSmallIntegerField(
        _("devices at once"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    registration_open = models.BooleanField(
        _("self-registration open"), default=True, help_text=_("Guests may register themselves.")
    )
    terms_version = models.CharField(
        _("terms version"),
        max_length=20,
        default="1",
        help_text=_("Change it when the terms change: every guest accepts the new version."),
    )
    terms_text = models.TextField(_("terms of use"), blank=True)
    welcome = models.CharField(_("welcome line"), max_length=200, blank=True)
    mac_create_captive_user = models.BooleanField(
        _("onboarded devices get a captive user"),
        default=False,
        help_text=_("A device reported by a router's DHCP lease script gets its own login."),
    )
    mac_auth = models.BooleanField(
        _("MAC authentication"),
        default=False,
        help_text=_("Known devices log in by their MAC address (radcheck), without the page."),
    )
    mac_subscription_plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("onboarded devices subscribe to"),
        help_text=_(
            "A new device reported by a router's DHCP lease script gets an active "
            "subscription of this plan, logging in by its MAC. Leave empty for none."
        ),
    )
    mac_subscription_customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("billed to"),
        help_text=_("The account those subscriptions belong to (a venue, a campus)."),
    )

    class Meta:
        verbose_name = _("hotspot policy")
        verbose_name_plural = _("hotspot policies")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="hotspot_policy_tenant")]

    def __str__(self) -> str:
        return str(_("Hotspot policy"))

    @property
    def subscribes_devices(self) -> bool:
        """Whether onboarded devices get a subscription (plan and account set)."""
        return (
            self.mac_subscription_plan_id is not None
            and self.mac_subscription_customer_id is not None
        )

    def clean(self) -> None:
        """Onboarded devices subscribe to a plan of this tenant, billed to a
        customer of this tenant: both fields or neither."""
        plan, customer = self.mac_subscription_plan, self.mac_subscription_customer
        if (plan is None) != (customer is None):
            missing = "mac_subscription_customer" if customer is None else "mac_subscription_plan"
            raise ValidationError({missing: _("Give both the plan and the account, or neither.")})
        for name, row in (("mac_subscription_plan", plan), ("mac_subscription_customer", customer)):
            # Without a tenant yet (an admin add form), the choices were scoped already.
            if row is not None and self.tenant_id is not None and row.tenant_id != self.tenant_id:
                raise ValidationError({name: _("Not one of this tenant's.")})


class CaptiveUserStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the code")
    ACTIVE = "active", _("Active")
    DISABLED = "disabled", _("Switched off")


class CaptiveUser(TenantScopedModel):
    """A guest of the tenant's hotspot, known by an email address or a mobile
    number (E.164), who proved it with a one-time code.

    ``username`` / ``password`` are the RADIUS credentials (radcheck) the
    login page posts to the router; the username is unique across tenants
    because radcheck is one namespace. Terms acceptance is recorded with the
    version, the time (aware UTC) and the client address.
    """

    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    username = models.CharField(_("RADIUS username"), max_length=64, unique=True)
    password = EncryptedTextField(_("RADIUS password"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CaptiveUserStatus.choices,
        default=CaptiveUserStatus.PENDING,
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    terms_version = models.CharField(_("terms version accepted"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted"), null=True, blank=True)
    terms_accepted_ip = models.GenericIPAddressField(_("accepted from"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("last code login"), null=True, blank=True)
    mac_address = models.CharField(
        _("MAC address"), max_length=17, blank=True, help_text=_("For a device's own login.")
    )

    class Meta:
        verbose_name = _("captive user")
        constraints = [
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                name="hotspot_captiveuser_email",
                condition=~models.Q(email=""),
            ),
            models.UniqueConstraint(
                fields=["tenant", "phone"],
                name="hotspot_captiveuser_phone",
                condition=~models.Q(phone=""),
            ),
            models.CheckConstraint(
                condition=~models.Q(email="", phone="", mac_address=""),
                name="hotspot_captiveuser_identified",
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or self.mac_address


class CaptiveCode(TenantScopedModel):
    """The outstanding one-time code of a captive user (the rules of
    ``notifications.one_time_codes``); only its HMAC is stored."""

    user = models.OneToOneField(CaptiveUser, on_delete=models.CASCADE, related_name="code")
    requested_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("captive sign-in code")

    def __str__(self) -> str:
        return f"code of {self.user}"


class WalledGardenKind(models.TextChoices):
    HOST = "host", _("Domain")
    NETWORK = "network", _("IP range")


class WalledGardenEntry(TenantScopedModel):
    """A destination a client reaches before logging in: a domain (``dst-host``,
    ``*`` wildcards as RouterOS allows) or an IP network (``dst-address``).
    Scoped to one router (NAS) or one site, or to every router when neither
    is set."""

    kind = models.CharField(_("kind"), max_length=8, choices=WalledGardenKind.choices)
    value = models.CharField(
        _("domain or network"), max_length=253, help_text=_("example.com, *.example.com or CIDR")
    )
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    nas = models.ForeignKey(
        Nas, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="NAS"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("walled garden entry")
        verbose_name_plural = _("walled garden entries")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "value", "nas", "site"],
                name="hotspot_walledgarden_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return self.value
