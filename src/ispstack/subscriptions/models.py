"""Services a customer buys: the subscription and its lifecycle log."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ispstack.catalog.models import AddOn, Plan, Promotion
from ispstack.core.fields import CidrField
from ispstack.core.models import AuditLog, Tenant, TenantScopedModel, User
from ispstack.core.tenancy import TenantQuerySet
from ispstack.customers.models import Customer
from ispstack.network.models import Device, IPAddress, IPPool, Onu, Sector
from ispstack.subscriptions.constraints import CONSTRAINT_RULES

# A device that logs in by its MAC (hotspot MAC onboarding) has the MAC as
# its username, upper case with colons, as RouterOS sends it in User-Name.
MAC_USERNAME = r"(?:[0-9A-F]{2}:){5}[0-9A-F]{2}"
USERNAME_RULE = rf"^(?:[A-Za-z0-9][A-Za-z0-9._@-]{{2,63}}|{MAC_USERNAME})$"
USERNAME_HELP = "3-64 letters, digits, '.', '_', '@' or '-', or a MAC address (AA:BB:CC:DD:EE:FF)"


class InstallationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ConnectionType(models.TextChoices):
    FTTH = "ftth", "FTTH (fibre)"
    WIRELESS = "wireless", "Fixed wireless"
    DSL = "dsl", "DSL"
    CABLE = "cable", "Cable"


class LastMileTechnology(models.TextChoices):
    GPON = "gpon", "GPON (ITU-T G.984)"
    XGS_PON = "xgs-pon", "XGS-PON (ITU-T G.9807.1)"
    EPON = "epon", "EPON (IEEE 802.3ah)"
    DOCSIS = "docsis", "DOCSIS"
    VDSL2 = "vdsl2", "VDSL2 (ITU-T G.993.2)"
    ADSL2 = "adsl2", "ADSL2+ (ITU-T G.992.5)"
    LTE = "lte", "LTE"
    NR = "5g-nr", "5G NR"
    WIFI = "wifi", "Wi-Fi (IEEE 802.11) point-to-multipoint"
    ETHERNET = "ethernet", "Ethernet"


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class SuspensionCause(models.TextChoices):
    NON_PAYMENT = "non_payment", "Non-payment"
    ADMINISTRATIVE = "administrative", "Administrative"
    CUSTOMER_REQUEST = "customer_request", "Customer request"


class Subscription(TenantScopedModel):
    """An internet service: a plan delivered to a customer over PPPoE.

    ``username`` is the PPPoE / RADIUS User-Name, unique across all tenants
    because FreeRADIUS has one namespace, and unique ignoring case (a unique
    index on ``lower(username)``) because NAS and CPE vendors disagree on
    case and a subscriber must never reach another's account by retyping
    it. An IPv6 prefix has one holder: framed prefixes of two subscriptions
    never overlap, nor do delegated ones (GiST exclusion constraints).
    ``password`` is kept in clear text
    because CHAP and MS-CHAPv2 need it (``Cleartext-Password`` in radcheck).
    ``billing_day`` (1-31) is the day of the month each period starts,
    clamped to the month's last day. Billing starts on ``start_date``.

    Lifecycle (django-fsm-2): pending -> active -> suspended -> active, and
    any state -> terminated; each transition is logged in SubscriptionEvent.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    username = models.CharField(
        max_length=64,
        validators=[RegexValidator(USERNAME_RULE, USERNAME_HELP)],
    )
    password = models.CharField(max_length=128)
    pool = models.ForeignKey(
        IPPool, null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions"
    )
    ip_address = models.OneToOneField(
        IPAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscription"
    )
    nas = models.ForeignKey(
        "network.Nas",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="NAS",
        help_text="The router / BRAS the subscriber connects through; its type picks the "
        "vendor rate attributes (the tenant's default NAS type when empty).",
    )
    framed_ipv6_prefix = CidrField(
        null=True,
        blank=True,
        help_text="IPv6 prefix of the access link, usually a /64 (Framed-IPv6-Prefix, RFC 3162).",
    )
    delegated_ipv6_prefix = CidrField(
        null=True,
        blank=True,
        help_text="Prefix delegated to the CPE by DHCPv6-PD, /48 to /64 "
        "(Delegated-IPv6-Prefix, RFC 4818).",
    )
    billing_day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    start_date = models.DateField()
    status = FSMField(
        max_length=12,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.PENDING,
        protected=True,
    )
    suspension_cause = models.CharField(max_length=20, choices=SuspensionCause.choices, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Last day of service.")
    installation_status = models.CharField(
        max_length=10, choices=InstallationStatus.choices, default=InstallationStatus.PENDING
    )
    installation_date = models.DateField(
        null=True, blank=True, help_text="Tenant-local date of the installation visit."
    )
    technician = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="installations",
        help_text="Staff member who installs the service.",
    )
    installation_notes = models.TextField(blank=True)
    connection_type = models.CharField(max_length=10, choices=ConnectionType.choices, blank=True)
    last_mile_technology = models.CharField(
        max_length=10, choices=LastMileTechnology.choices, blank=True
    )
    sector = models.ForeignKey(
        Sector,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        help_text="The sector (and so the site) serving the subscriber.",
    )
    cpe = models.OneToOneField(
        Device,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscription",
        verbose_name="CPE",
        help_text="The CPE at the subscriber's premises (a device of role CPE).",
    )
    # Service quality, kept by the helpdesk's outages
    # when one is resolved; the uptime percentage is computed from the
    # outage records (``tickets.selectors.uptime_percent``), not stored,
    # so it never goes stale.
    total_outages = models.PositiveIntegerField(
        default=0, editable=False, help_text="Outages that hit this service."
    )
    total_downtime_minutes = models.PositiveIntegerField(
        default=0, editable=False, help_text="Minutes without service through outages."
    )
    last_outage_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="Tenant-local date the last outage that hit this service started.",
    )

    class Meta:
        ordering = ["username"]
        permissions = [
            ("change_billing_day", "Can change the billing day of a subscription"),
            ("reveal_password", "Can reveal the PPPoE password of a subscription"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="subscriptions_username_ci_unique",
                violation_error_message=str(CONSTRAINT_RULES["subscriptions_username_ci_unique"]),
            ),
            models.CheckConstraint(
                condition=models.Q(billing_day__gte=1, billing_day__lte=31),
                name="subscriptions_billing_day_range",
            ),
            *(
                ExclusionConstraint(
                    name=f"subscriptions_{kind}_prefix_disjoint",
                    expressions=[(OpClass(f"{kind}_ipv6_prefix", name="inet_ops"), "&&")],
                    violation_error_message=str(
                        CONSTRAINT_RULES[f"subscriptions_{kind}_prefix_disjoint"]
                    ),
                )
                for kind in ("framed", "delegated")
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"]),
            # The console's search: the beginning of a username (LIKE 'abc%'
            # on lower(username), which the unique index's collation can't
            # serve), and a fragment of it (core.trigram).
            models.Index(
                OpClass(Lower("username"), name="text_pattern_ops"),
                name="subscriptions_username_prefix",
            ),
            GinIndex(
                OpClass(Upper("username"), name="gin_trgm_ops"), name="subscriptions_username_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @transition(field=status, source=SubscriptionStatus.PENDING, target=SubscriptionStatus.ACTIVE)
    def activate(self) -> None:
        """Service starts: RADIUS lets the subscriber in."""

    @transition(field=status, source=SubscriptionStatus.ACTIVE, target=SubscriptionStatus.SUSPENDED)
    def suspend(self) -> None:
        """Service stops, the account stays: RADIUS rejects the subscriber."""

    @transition(field=status, source=SubscriptionStatus.SUSPENDED, target=SubscriptionStatus.ACTIVE)
    def reconnect(self) -> None:
        """Service resumes after a suspension."""

    @transition(
        field=status,
        source=[
            SubscriptionStatus.PENDING,
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.SUSPENDED,
        ],
        target=SubscriptionStatus.TERMINATED,
    )
    def terminate(self) -> None:
        """Service ends for good: RADIUS rows removed, the address returned to its pool."""


class OnuAssignment(TenantScopedModel):
    """An ONU installed for a subscription, from ``assigned_at`` until
    ``released_at`` (None while it is installed). An ONU has at most one open
    assignment (a partial unique index), so two concurrent assignments of
    the same ONU cannot both commit. Written by ``subscriptions.equipment``.
    """

    onu = models.ForeignKey(Onu, on_delete=models.PROTECT, related_name="assignments")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="onu_assignments"
    )
    assigned_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was released.")
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-assigned_at", "-id"]
        verbose_name = "ONU assignment"
        constraints = [
            models.UniqueConstraint(
                fields=["onu"],
                condition=models.Q(released_at__isnull=True),
                name="subscriptions_onuassignment_one_open",
                violation_error_message=str(
                    CONSTRAINT_RULES["subscriptions_onuassignment_one_open"]
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True)
                | models.Q(released_at__gte=models.F("assigned_at")),
                name="subscriptions_onuassignment_released_after",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "released_at"], name="subs_onuassign_sub_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.onu} -> {self.subscription}"


class SubscriptionEvent(TenantScopedModel):
    """One lifecycle transition of a subscription, with its reason and actor."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=SubscriptionStatus.choices)
    to_status = models.CharField(max_length=12, choices=SubscriptionStatus.choices)
    reason = models.TextField(blank=True)
    effective_date = models.DateField()
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.from_status} -> {self.to_status}"


class ServiceAction(TenantScopedModel):
    """One action on a subscriber's service, as the NOC and support read a
    subscription's history: activate, suspend, reconnect, terminate, plan
    change, and the CoA and Disconnect requests sent to the NAS, with who
    did it, why, and whether it worked.

    The audit log (``core.AuditLog``) already holds who changed what for the
    lifecycle and the plan, with before and after snapshots, for every kind
    of object; it has no result, knows nothing of the requests sent to the
    NAS, and is read by object type and id. This log does not copy it: a row
    for a change made in the database points at that change's audit row
    (``audit``) for the snapshots, and adds what the audit log lacks: the
    action's kind, who acted as a person or a job reads it (``actor_kind``),
    and the outcome, ``failed`` with its message for a CoA or Disconnect
    the NAS refused or never answered. A change that is refused (a
    transition not allowed) writes nothing anywhere: it did not happen and
    its caller got the error.
    """

    class Action(models.TextChoices):
        ACTIVATE = "activate", _("Activate")
        SUSPEND = "suspend", _("Suspend")
        RECONNECT = "reconnect", _("Reconnect")
        TERMINATE = "terminate", _("Terminate")
        PLAN_CHANGE = "plan_change", _("Plan change")
        COA = "coa", _("CoA")
        DISCONNECT = "disconnect", _("Disconnect")

    class ActorKind(models.TextChoices):
        STAFF = "staff", _("Staff")
        PORTAL = "portal", _("Customer portal")
        SYSTEM = "system", _("Job")

    class Result(models.TextChoices):
        OK = "ok", _("OK")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="service_actions"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_label = models.CharField(
        max_length=150, help_text="Staff username, 'portal:<email>' or the job's name."
    )
    reason = models.TextField(blank=True)
    result = models.CharField(max_length=8, choices=Result.choices, default=Result.OK)
    message = models.CharField(max_length=500, blank=True)
    audit = models.ForeignKey(
        AuditLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["tenant", "subscription", "-created_at"], name="subs_serviceaction_sub_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subscription}: {self.result}"


class PlanChange(TenantScopedModel):
    """A change of plan, applied at once or scheduled for a date (the next cycle)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        APPLIED = "applied", "Applied"
        CANCELLED = "cancelled", "Cancelled"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="plan_changes"
    )
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField(help_text="First day on the new plan.")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-effective_date", "-id"]
        indexes = [models.Index(fields=["tenant", "status", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.from_plan} -> {self.to_plan} on {self.effective_date}"


class SubscriptionAddOn(TenantScopedModel):
    """An add-on attached to a subscription, ``quantity`` units from ``start_date``
    to ``end_date`` (inclusive; empty: until removed)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="addons")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["subscription", "id"]
        verbose_name = "subscription add-on"

    def __str__(self) -> str:
        return f"{self.quantity} x {self.addon} on {self.subscription}"


class SubscriptionPromotion(TenantScopedModel):
    """A promotion granted to a subscription from ``start_date``; ``cycles_used``
    counts the plan periods it has discounted so far."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="promotions"
    )
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField()
    cycles_used = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["subscription", "id"]

    def __str__(self) -> str:
        return f"{self.promotion} on {self.subscription}"


def validate_billing_days(value: Any) -> None:
    """Model validator of ``SubscriptionSettings.allowed_billing_days``: a list
    of distinct whole numbers from 1 to 31 (a subscription's billing day).

    Raises ValidationError naming the first wrong entry.
    """
    if not isinstance(value, list):
        raise ValidationError(_("Allowed billing days must be a list of days of the month."))
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            raise ValidationError(
                _("Allowed billing days must be days of the month from 1 to 31; %(day)s is not."),
                params={"day": day},
            )
    if len(set(value)) != len(value):
        raise ValidationError(_("Allowed billing days must not repeat a day."))


class SubscriptionSettings(models.Model):
    """How a tenant's subscriptions may be set up: the billing days offered,
    and how customers' plan change requests from the portal are handled.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with
    ``subscriptions.selectors.settings_for``.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="subscription_settings"
    )
    allowed_billing_days = models.JSONField(
        _("allowed billing days"),
        default=list,
        blank=True,
        validators=[validate_billing_days],
        help_text=_(
            "The days of the month a subscription may be billed on, e.g. 1, 5, 25, 30; "
            "empty: any day."
        ),
    )
    instant_plan_upgrades = models.BooleanField(
        _("instant upgrades without approval"),
        default=False,
        help_text=_(
            "A customer's portal request for a dearer plan is approved at once and applied "
            "now, prorated; cheaper plans always wait for approval."
        ),
    )
    portal_plan_change_now = models.BooleanField(
        _("customers may ask for a plan change now"),
        default=False,
        help_text=_(
            "Besides the next billing cycle, the portal offers a change from today "
            "(prorated); the back office still approves it."
        ),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription settings")
        verbose_name_plural = _("subscription settings")

    def __str__(self) -> str:
        return str(_("Subscription settings"))
