"""Field service: technicians (working hours, skills, service area, time
off) and the installation and repair appointments they are booked for."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.network.models import Device, Onu
from ispstack.subscriptions.models import Subscription
from ispstack.tickets.field.scheduling import DEFAULT_WORKING_HOURS
from ispstack.tickets.models.tickets import Ticket


def default_working_hours() -> dict[str, list[str]]:
    return {day: list(span) for day, span in DEFAULT_WORKING_HOURS.items()}


class Skill(models.TextChoices):
    """What a job may need a technician to be able to do."""

    FIBRE_SPLICING = "fibre_splicing", _("Fibre splicing")
    WIRELESS_ALIGNMENT = "wireless_alignment", _("Wireless antenna alignment")
    CPE_INSTALL = "cpe_install", _("CPE installation")
    ONU_INSTALL = "onu_install", _("ONU installation")
    COPPER = "copper", _("Copper / DSL line work")
    TOWER_CLIMBING = "tower_climbing", _("Tower climbing")
    CABLING = "cabling", _("In-house cabling")


LATITUDE = [MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))]
LONGITUDE = [MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))]


class Technician(TenantScopedModel):
    """A staff user who does field work.

    ``working_hours``: ``{"mon": ["08:00", "17:00"], ...}`` on the tenant's
    local clock, a missing weekday is a day off (product default Mon-Fri
    08:00-17:00). The service area is ``service_radius_km`` around the home
    base and/or ``service_area`` (a GeoJSON Polygon or MultiPolygon,
    coordinates [longitude, latitude]); neither: anywhere.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="technician"
    )
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +27821234567.")
    skills = ArrayField(
        models.CharField(max_length=32, choices=Skill.choices), default=list, blank=True
    )
    working_hours = models.JSONField(default=default_working_hours)
    home_latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )
    home_longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )
    service_radius_km = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Kilometres around the home base; empty: no radius limit.",
    )
    service_area = models.JSONField(
        null=True, blank=True, help_text="GeoJSON Polygon or MultiPolygon ([lon, lat])."
    )
    max_jobs_per_day = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__username"]
        indexes = [models.Index(fields=["tenant", "is_active"])]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def home(self) -> tuple[float, float] | None:
        """(latitude, longitude) of the home base, or None."""
        if self.home_latitude is None or self.home_longitude is None:
            return None
        return (float(self.home_latitude), float(self.home_longitude))


class TimeOff(TenantScopedModel):
    """Days a technician is not available (leave, training), both ends included,
    tenant-local dates."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="tickets_timeoff_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.start_date}..{self.end_date}"


class AppointmentKind(models.TextChoices):
    INSTALLATION = "installation", _("Installation")
    REPAIR = "repair", _("Repair")


class AppointmentState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    EN_ROUTE = "en_route", _("En route")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# States that hold the technician's time (count for overlaps and jobs per day).
# Visits still to be carried out.
PLANNED_STATES = (
    AppointmentState.SCHEDULED,
    AppointmentState.EN_ROUTE,
    AppointmentState.ON_SITE,
)
BUSY_STATES = (*PLANNED_STATES, AppointmentState.COMPLETED)


class Appointment(TenantScopedModel):
    """An installation or repair visit at the customer's, booked for one
    technician between ``starts_at`` and ``ends_at`` (aware UTC).

    States: scheduled -> en_route -> on_site -> completed or failed;
    cancelled from scheduled or en_route. ``ticket``: the installation request
    or fault ticket the visit is for. ``latitude``/``longitude``: the
    job's place (the customer's service address GPS unless given);
    ``serials``: serial numbers of the equipment installed, as typed;
    ``onus``/``devices``: the tenant's inventory rows those serials name.
    """

    kind = models.CharField(max_length=16, choices=AppointmentKind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="appointments")
    technician = models.ForeignKey(
        Technician, on_delete=models.PROTECT, related_name="appointments"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(max_length=500, blank=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    required_skills = ArrayField(
        models.CharField(max_length=32, choices=Skill.choices), default=list, blank=True
    )
    state = FSMField(
        max_length=12,
        choices=AppointmentState.choices,
        default=AppointmentState.SCHEDULED,
        protected=True,
    )
    notes = models.TextField(blank=True, help_text="Instructions for the technician.")
    completion_notes = models.TextField(blank=True)
    serials = models.JSONField(default=list, blank=True)
    onus = models.ManyToManyField(Onu, blank=True, related_name="+")
    devices = models.ManyToManyField(Device, blank=True, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "technician", "starts_at"]),
            models.Index(fields=["tenant", "state", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="tickets_appointment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def point(self) -> tuple[float, float] | None:
        """(latitude, longitude) of the job, or None."""
        if self.latitude is None or self.longitude is None:
            return None
        return (float(self.latitude), float(self.longitude))

    @property
    def map_url(self) -> str:
        """A plain OpenStreetMap link to the job's place ("" without GPS)."""
        if self.point is None:
            return ""
        return f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}"

    @transition(field=state, source=AppointmentState.SCHEDULED, target=AppointmentState.EN_ROUTE)
    def set_out(self) -> None:
        """The technician is on the way."""

    @transition(field=state, source=AppointmentState.EN_ROUTE, target=AppointmentState.ON_SITE)
    def arrive(self) -> None:
        """The technician is at the customer's."""

    @transition(field=state, source=AppointmentState.ON_SITE, target=AppointmentState.COMPLETED)
    def complete(self) -> None:
        """The work is done."""

    @transition(
        field=state,
        source=[AppointmentState.EN_ROUTE, AppointmentState.ON_SITE],
        target=AppointmentState.FAILED,
    )
    def fail(self) -> None:
        """The work could not be done (no access, no line of sight...)."""

    @transition(
        field=state,
        source=[AppointmentState.SCHEDULED, AppointmentState.EN_ROUTE],
        target=AppointmentState.CANCELLED,
    )
    def cancel(self) -> None:
        """Called off before the work started."""


class AppointmentPhoto(TenantScopedModel):
    """A photo taken at completion (JPEG, PNG or WebP; size limit in
    ``field.services``)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="field/photos/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(help_text="Bytes.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
