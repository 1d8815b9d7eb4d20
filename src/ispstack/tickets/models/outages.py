"""Outages: a site, sector, NAS or device down, the subscriptions it hits
(frozen when it starts) and each one's outage minutes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.network.models import Device, Nas, Sector, Site
from ispstack.subscriptions.models import Subscription


class OutageCause(models.TextChoices):
    """Why the network is down (what NOC reports and counts by)."""

    POWER = "power", _("Power failure")
    FIBRE_CUT = "fibre_cut", _("Fibre cut")
    EQUIPMENT_FAILURE = "equipment_failure", _("Equipment failure")
    UPSTREAM = "upstream", _("Upstream provider")
    MAINTENANCE = "maintenance", _("Planned maintenance")
    WEATHER = "weather", _("Weather")
    OTHER = "other", _("Other")


class OutageState(models.TextChoices):
    """Lifecycle: planned -> active -> resolved; a planned one may be cancelled."""

    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


#: The scope fields of an outage: exactly one is set.
SCOPES = ("site", "sector", "nas", "device")

OS = OutageState


def _only(field: str) -> models.Q:
    return models.Q(**{f"{f}__isnull": f != field for f in SCOPES})


class Outage(TenantScopedModel):
    """A failure (or planned maintenance) of one site, sector, NAS or device,
    numbered per tenant ``OUT-YYYYMMDD-NNNN`` (tenant-local date of
    declaration, a yearly counter).

    ``started_at`` is when service stopped (for a planned outage: when it
    will stop), ``expected_end_at`` what customers are told, ``resolved_at``
    when service came back; aware UTC datetimes. The subscriptions hit are
    recorded as ``OutageImpact`` rows when it is declared (``services``),
    so later changes to the inventory do not rewrite history.
    ``description`` is shown to the affected customers in the notices.
    """

    number = models.CharField(max_length=30, editable=False)
    state = FSMField(max_length=10, choices=OutageState.choices, default=OutageState.ACTIVE)
    cause = models.CharField(max_length=20, choices=OutageCause.choices)
    description = models.TextField(
        blank=True, help_text=_("What happened, in words the customers are told.")
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="outages"
    )
    sector = models.ForeignKey(
        Sector, null=True, blank=True, on_delete=models.PROTECT, related_name="outages"
    )
    nas = models.ForeignKey(
        Nas,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outages",
        verbose_name="NAS",
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="outages"
    )
    started_at = models.DateTimeField()
    expected_end_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notify_customers = models.BooleanField(
        default=True, help_text=_("Email and text the affected customers at start and end.")
    )
    affected_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="tickets_outage_number_unique"
            ),
            models.CheckConstraint(
                condition=_only("site") | _only("sector") | _only("nas") | _only("device"),
                name="tickets_outage_one_scope",
                violation_error_message=_(
                    "An outage is on exactly one site, sector, NAS or device."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(expected_end_at__isnull=True)
                | models.Q(expected_end_at__gt=models.F("started_at")),
                name="tickets_outage_expected_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("started_at")),
                name="tickets_outage_resolved_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "state", "-started_at"], name="tickets_outage_state_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.scope_label}"

    @property
    def scope(self) -> models.Model | None:
        """The site, sector, NAS or device that is down."""
        for field in SCOPES:
            if getattr(self, f"{field}_id") is not None:
                return getattr(self, field)
        return None

    @property
    def scope_kind(self) -> str:
        return next((f for f in SCOPES if getattr(self, f"{f}_id") is not None), "")

    @property
    def scope_label(self) -> str:
        kind = {"site": "Site", "sector": "Sector", "nas": "NAS", "device": "Device"}
        return f"{kind.get(self.scope_kind, '')} {self.scope}".strip()

    @property
    def is_open(self) -> bool:
        return self.state in (OS.PLANNED, OS.ACTIVE)

    @transition(field=state, source=OS.PLANNED, target=OS.ACTIVE)
    def begin(self) -> None:
        """A planned outage's window opens."""

    @transition(field=state, source=[OS.PLANNED, OS.ACTIVE], target=OS.RESOLVED)
    def resolve(self) -> None:
        """Service is back (a planned one resolved before its window counts no minutes)."""

    @transition(field=state, source=OS.PLANNED, target=OS.CANCELLED)
    def cancel(self) -> None:
        """Planned work called off before it started."""


class OutageImpact(TenantScopedModel):
    """A subscription hit by an outage, recorded when the outage is declared.

    ``minutes`` (whole minutes, rounded up) is the time the subscription was
    without service: from the outage's start to its resolution, set when it
    is resolved. ``notified_start_at`` / ``notified_end_at`` are when the
    customer was told (stamped per row by the notice job, so a retried job
    does not send twice).
    """

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="impacts")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="outage_impacts"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    minutes = models.PositiveIntegerField(null=True, blank=True)
    notified_start_at = models.DateTimeField(null=True, blank=True)
    notified_end_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["outage", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["outage", "subscription"], name="tickets_outageimpact_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "started_at"], name="tickets_impact_sub_idx"),
            models.Index(fields=["customer", "ended_at"], name="tickets_impact_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.outage_id} -> {self.subscription_id}"
