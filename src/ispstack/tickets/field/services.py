"""Writes of field service: technicians and their time off, booking an
appointment (auto-assigned or for a named technician), its transitions and
its completion.

Booking locks the candidate technicians' rows (``SELECT ... FOR UPDATE``,
in id order) before it reads their calendars, so two bookings at once
queue on the same technicians and the second sees the first's appointment:
a technician is never double-booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django_fsm import TransitionNotAllowed

from ispstack.core import audit, clock
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.network import coverage
from ispstack.network.models import Device, Onu, OnuState
from ispstack.subscriptions.equipment import assign_onu
from ispstack.subscriptions.models import Subscription
from ispstack.tickets import attachments
from ispstack.tickets import services as tickets
from ispstack.tickets.choices import OPEN_STATES, TicketState, TicketType
from ispstack.tickets.field import events, scheduling
from ispstack.tickets.models.field import (
    BUSY_STATES,
    PLANNED_STATES,
    Appointment,
    AppointmentKind,
    AppointmentPhoto,
    AppointmentState,
    Skill,
    Technician,
    TimeOff,
)
from ispstack.tickets.models.tickets import Ticket
from ispstack.tickets.selectors import settings_for

# Product default: an installation (mount, align or splice, configure the
# CPE) takes about three hours, a repair half of that.
DEFAULT_DURATION = {
    AppointmentKind.INSTALLATION: dt.timedelta(minutes=180),
    AppointmentKind.REPAIR: dt.timedelta(minutes=90),
}
# Product default: with no time asked for, the first slot from 10:00 local,
# three days ahead (time to plan the visit and reach the customer).
DEFAULT_LEAD_DAYS = 3
DEFAULT_START = dt.time(10, 0)
# Product default: suggestions look two weeks ahead, five of them.
SUGGEST_DAYS = 14
SUGGEST_LIMIT = 5
# Product default: ten photos a visit. Each photo is held to the tenant's
# ticket attachment limits (``TicketSettings``: largest attachment, allowed
# types), images only.
PHOTO_MAX_COUNT = 10
# A ticket of this type is what an installation visit carries out; a repair
# visit may serve any open ticket.
TICKET_TYPE_OF_KIND = {
    AppointmentKind.INSTALLATION: TicketType.INSTALLATION_REQUEST,
    AppointmentKind.REPAIR: TicketType.TECHNICAL_SUPPORT,
}
SERIAL_MAX_LENGTH = 64
SERIALS_MAX = 50


class NoTechnicianAvailable(Conflict):
    """No technician fits the slot; ``suggested_slots`` lists the next free
    ones as ``{"starts_at", "ends_at", "technician"}`` (ISO 8601 UTC, id)."""

    code = "no_technician"

    def __init__(self, message: str, *, field: str, suggested: list[dict[str, Any]]) -> None:
        super().__init__(message, field=field)
        self.suggested_slots = suggested

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "suggested_slots": self.suggested_slots}


def _point(latitude: Any, longitude: Any, field: str) -> tuple[Decimal, Decimal] | None:
    """Both coordinates (``network.coverage.coordinate``'s rules) or neither;
    ``field`` names the latitude, its longitude is named alike."""
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        raise InvalidInput("give both latitude and longitude", field=field)
    return (
        coverage.coordinate(latitude, field),
        coverage.coordinate(longitude, field.replace("latitude", "longitude")),
    )


def _skills(values: Iterable[str] | None, field: str) -> list[str]:
    known = set(Skill.values)
    clean = sorted(set(values or ()))
    unknown = [s for s in clean if s not in known]
    if unknown:
        raise InvalidInput(
            f"unknown skill {', '.join(unknown)} (known: {', '.join(Skill.values)})", field=field
        )
    return clean


TECHNICIAN_FIELDS = (
    "phone",
    "skills",
    "working_hours",
    "home_latitude",
    "home_longitude",
    "service_radius_km",
    "service_area",
    "max_jobs_per_day",
    "is_active",
)


@transaction.atomic
def save_technician(
    *, tenant: Tenant, actor: Any, user: Any, technician: Technician | None = None, **values: Any
) -> Technician:
    """Create the technician profile of staff ``user`` (or update ``technician``)
    with any of: phone, skills (``Skill`` values), working_hours
    (``{"mon": ["08:00", "17:00"]}``), home_latitude/home_longitude (degrees),
    service_radius_km, service_area (GeoJSON polygon), max_jobs_per_day,
    is_active.

    Raises InvalidInput naming the field (a user of another tenant or not
    staff, an unknown skill, bad hours, a radius without a home base, an
    invalid polygon), Conflict when the user already is a technician.
    """
    unknown = set(values) - set(TECHNICIAN_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    if technician is None:
        if user is None or user.tenant_id != tenant.pk or not user.is_staff:
            raise InvalidInput("not a staff user of this tenant", field="user")
        if Technician.objects.filter(user=user).exists():
            raise Conflict("this user already is a technician", field="user")
        technician = Technician(tenant=tenant, user=user)
    before = {f: getattr(technician, f) for f in TECHNICIAN_FIELDS} if technician.pk else None
    if "skills" in values:
        values["skills"] = _skills(values["skills"], "skills")
    if "working_hours" in values:
        try:
            values["working_hours"] = scheduling.check_working_hours(values["working_hours"])
        except ValueError as exc:
            raise InvalidInput(str(exc), field="working_hours") from None
    if values.get("service_area") is not None:
        try:
            scheduling.area_shape(values["service_area"])
        except ValueError as exc:
            raise InvalidInput(str(exc), field="service_area") from None
    if "home_latitude" in values or "home_longitude" in values:
        home = _point(
            values.get("home_latitude", technician.home_latitude),
            values.get("home_longitude", technician.home_longitude),
            "home_latitude",
        )
        values["home_latitude"], values["home_longitude"] = home or (None, None)
    for name, value in values.items():
        setattr(technician, name, value)
    if technician.service_radius_km is not None and technician.home is None:
        raise InvalidInput("a service radius needs a home base", field="service_radius_km")
    try:
        technician.full_clean(exclude=["tenant", "user"])
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=name) from None
    technician.save()
    after = {f: getattr(technician, f) for f in TECHNICIAN_FIELDS}
    audit.record(
        tenant=tenant,
        actor=actor,
        action="technician.updated" if before else "technician.created",
        obj=technician,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    return technician


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


@transaction.atomic
def add_time_off(
    *, technician: Technician, actor: Any, start_date: dt.date, end_date: dt.date, reason: str = ""
) -> TimeOff:
    """Record days off (tenant-local dates, both included). Raises InvalidInput
    (``end_date``) when it ends before it starts, Conflict (``start_date``)
    when the technician has appointments booked on those days."""
    if end_date < start_date:
        raise InvalidInput("the time off ends before it starts", field="end_date")
    tenant = technician.tenant
    # The lock book_appointment takes: no visit lands on these days meanwhile.
    Technician.objects.select_for_update().filter(pk=technician.pk).first()
    begin = clock.start_of_day(tenant, start_date)
    end = clock.start_of_day(tenant, end_date + dt.timedelta(days=1))
    booked = technician.appointments.filter(
        state__in=PLANNED_STATES, starts_at__lt=end, ends_at__gt=begin
    ).count()
    if booked:
        raise Conflict(
            f"{booked} appointment(s) booked on those days: move them first",
            field="start_date",
        )
    time_off = TimeOff.objects.create(
        tenant=tenant,
        technician=technician,
        start_date=start_date,
        end_date=end_date,
        reason=reason[:200],
    )
    audit.record(tenant=tenant, actor=actor, action="technician.time_off", obj=time_off)
    return time_off


def candidates(
    tenant: Tenant,
    technicians: Sequence[Technician],
    first_day: dt.date,
    last_day: dt.date,
    exclude: int | None = None,
) -> list[scheduling.Candidate]:
    """``technicians`` as ``scheduling.Candidate`` values with their bookings and
    days off between the local days ``first_day`` and ``last_day`` (3 queries)."""
    ids = [t.pk for t in technicians]
    begin = clock.start_of_day(tenant, first_day)
    end = clock.start_of_day(tenant, last_day + dt.timedelta(days=1))
    bookings: dict[int, list[scheduling.Booking]] = {pk: [] for pk in ids}
    rows = Appointment.objects.filter(
        technician_id__in=ids, state__in=BUSY_STATES, starts_at__lt=end, ends_at__gt=begin
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    for a in rows.only("technician_id", "starts_at", "ends_at", "latitude", "longitude"):
        bookings[a.technician_id].append(scheduling.Booking(a.starts_at, a.ends_at, a.point))
    days_off: dict[int, set[dt.date]] = {pk: set() for pk in ids}
    for t in TimeOff.objects.filter(
        technician_id__in=ids, start_date__lte=last_day, end_date__gte=first_day
    ):
        day = max(t.start_date, first_day)
        while day <= min(t.end_date, last_day):
            days_off[t.technician_id].add(day)
            day += dt.timedelta(days=1)
    return [
        scheduling.Candidate(
            id=t.pk,
            skills=frozenset(t.skills),
            home=t.home,
            hours=t.working_hours,
            tz=tenant.timezone,
            max_jobs_per_day=t.max_jobs_per_day,
            radius_km=float(t.service_radius_km) if t.service_radius_km is not None else None,
            area=t.service_area,
            days_off=frozenset(days_off[t.pk]),
            bookings=bookings[t.pk],
        )
        for t in technicians
    ]


def _job_point(customer: Customer, latitude: Any, longitude: Any) -> tuple[Decimal, Decimal] | None:
    given = _point(latitude, longitude, "latitude")
    if given is not None:
        return given
    if customer.service_latitude is not None and customer.service_longitude is not None:
        return customer.service_latitude, customer.service_longitude
    return None


def _address(customer: Customer) -> str:
    parts = [
        customer.service_address_line1,
        customer.service_address_line2,
        " ".join(p for p in (customer.service_postal_code, customer.service_city) if p),
        customer.service_country,
    ]
    return ", ".join(p for p in parts if p)[:500]


def default_start(tenant: Tenant) -> dt.datetime:
    """The product default start: 10:00 local, ``DEFAULT_LEAD_DAYS`` days from today."""
    day = clock.today(tenant) + dt.timedelta(days=DEFAULT_LEAD_DAYS)
    local = dt.datetime.combine(day, DEFAULT_START, tzinfo=ZoneInfo(tenant.timezone))
    return local.astimezone(dt.UTC)


def _duration(kind: str, minutes: int | None) -> dt.timedelta:
    if minutes is None:
        return DEFAULT_DURATION[AppointmentKind(kind)]
    if not 15 <= int(minutes) <= 12 * 60:
        raise InvalidInput("a visit lasts 15 minutes to 12 hours", field="duration_minutes")
    return dt.timedelta(minutes=int(minutes))


def _slot_dicts(slots: list[tuple[dt.datetime, dt.datetime, int]]) -> list[dict[str, Any]]:
    return [
        {"starts_at": s.isoformat(), "ends_at": e.isoformat(), "technician": tid}
        for s, e, tid in slots
    ]


def _check_request(
    *, tenant: Tenant, kind: str, customer: Customer, subscription: Subscription | None
) -> None:
    if kind not in AppointmentKind.values:
        raise InvalidInput(f"expected one of {', '.join(AppointmentKind.values)}", field="kind")
    if customer.tenant_id != tenant.pk:
        raise InvalidInput("no such customer", field="customer")
    if subscription is not None and subscription.customer_id != customer.pk:
        raise InvalidInput("the subscription is not the customer's", field="subscription")


def _check_ticket(*, tenant: Tenant, kind: str, ticket: Ticket, customer: Customer) -> None:
    if ticket.tenant_id != tenant.pk:
        raise InvalidInput("no such ticket", field="ticket")
    if ticket.customer_id not in (None, customer.pk):
        raise InvalidInput("the ticket is another customer's", field="ticket")
    if ticket.state not in OPEN_STATES:
        raise InvalidInput(f"the ticket is {ticket.state}: open a new one", field="ticket")
    if (
        kind == AppointmentKind.INSTALLATION
        and ticket.ticket_type != TicketType.INSTALLATION_REQUEST
    ):
        raise InvalidInput(
            "an installation visit carries out an installation request ticket", field="ticket"
        )


def suggest_slots(
    *,
    tenant: Tenant,
    kind: str,
    customer: Customer,
    after: dt.datetime | None = None,
    duration_minutes: int | None = None,
    required_skills: Iterable[str] | None = None,
    latitude: Any = None,
    longitude: Any = None,
    days: int = SUGGEST_DAYS,
    limit: int = SUGGEST_LIMIT,
    exclude: int | None = None,
) -> list[dict[str, Any]]:
    """The next free slots for a job: ``[{"starts_at", "ends_at", "technician"}]``
    (ISO 8601 UTC, technician id), earliest first, from ``after`` (default
    now) over ``days`` local days. Reads only. Raises InvalidInput naming the
    field for bad input."""
    _check_request(tenant=tenant, kind=kind, customer=customer, subscription=None)
    skills = _skills(required_skills, "required_skills")
    duration = _duration(kind, duration_minutes)
    point = _job_point(customer, latitude, longitude)
    after = max(after or clock.now(), clock.now())
    if not 1 <= days <= 90:
        raise InvalidInput("search 1 to 90 days ahead", field="days")
    first = after.astimezone(ZoneInfo(tenant.timezone)).date()
    technicians = list(
        Technician.objects.filter(tenant=tenant, is_active=True, skills__contains=skills)
    )
    pool = candidates(tenant, technicians, first, first + dt.timedelta(days=days), exclude)
    job = (float(point[0]), float(point[1])) if point else None
    found = scheduling.next_slots(
        pool, after, duration, skills, job, days=days, limit=max(1, min(limit, 50))
    )
    return _slot_dicts(found)


@transaction.atomic
def book_appointment(
    *,
    tenant: Tenant,
    actor: Any,
    kind: str,
    customer: Customer,
    ticket: Ticket | None = None,
    subscription: Subscription | None = None,
    starts_at: dt.datetime | None = None,
    duration_minutes: int | None = None,
    required_skills: Iterable[str] | None = None,
    technician: Technician | None = None,
    latitude: Any = None,
    longitude: Any = None,
    notes: str = "",
) -> Appointment:
    """Book an installation or repair visit and assign it.

    ``ticket``: the installation request (for an installation) or the fault
    ticket the visit carries out; without one, a ticket of the kind's type
    (``TICKET_TYPE_OF_KIND``) is opened for the customer.
    ``starts_at``: aware datetime (default ``default_start``); the visit lasts
    ``duration_minutes`` (default ``DEFAULT_DURATION`` by kind). The job's
    place is ``latitude``/``longitude`` or else the customer's service
    address GPS. With ``technician`` given, that technician must fit;
    otherwise the best one is chosen (``scheduling.rank``: has the skills,
    covers the place, works then, not on time off, under max jobs per day,
    free; nearest first, then least loaded).

    Raises InvalidInput naming the field for bad input;
    NoTechnicianAvailable (409, field ``starts_at``, or ``technician`` for a
    named one) with the next free slots when nobody fits.
    """
    _check_request(tenant=tenant, kind=kind, customer=customer, subscription=subscription)
    if ticket is not None:
        _check_ticket(tenant=tenant, kind=kind, ticket=ticket, customer=customer)
    skills = _skills(required_skills, "required_skills")
    duration = _duration(kind, duration_minutes)
    point = _job_point(customer, latitude, longitude)
    if starts_at is None:
        starts_at = default_start(tenant)
    elif starts_at.tzinfo is None:
        raise InvalidInput("give a time zone (e.g. 2026-05-04T10:00:00Z)", field="starts_at")
    if starts_at < clock.now():
        raise InvalidInput("the visit must be in the future", field="starts_at")
    starts_at = starts_at.astimezone(dt.UTC)
    ends_at = starts_at + duration
    if technician is not None and technician.tenant_id != tenant.pk:
        raise InvalidInput("no such technician", field="technician")

    query = Technician.objects.filter(tenant=tenant, is_active=True, skills__contains=skills)
    if technician is not None:
        query = query.filter(pk=technician.pk)
    # The lock that keeps two bookings from taking the same technician's time.
    locked = list(query.select_for_update().order_by("pk"))
    day = starts_at.astimezone(ZoneInfo(tenant.timezone)).date()
    pool = candidates(tenant, locked, day, day)
    job = (float(point[0]), float(point[1])) if point else None
    ranked = scheduling.rank(pool, starts_at, ends_at, skills, job)
    if not ranked:
        field = "technician" if technician is not None else "starts_at"
        reason = ""
        if technician is not None:
            reason = (
                pool[0].why_not(starts_at, ends_at, skills, job) if pool else "skills or inactive"
            ) or ""
        suggested = suggest_slots(
            tenant=tenant,
            kind=kind,
            customer=customer,
            after=starts_at,
            duration_minutes=int(duration.total_seconds() // 60),
            required_skills=skills,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
        )
        message = (
            f"this technician is not available then ({reason})"
            if technician is not None
            else "no technician has the skills, covers the place and is free then"
        )
        raise NoTechnicianAvailable(message, field=field, suggested=suggested)
    chosen = next(t for t in locked if t.pk == ranked[0].id)
    if ticket is None:
        label = AppointmentKind(kind).label
        ticket = tickets.open_ticket(
            tenant=tenant,
            subject=f"{label} at {_address(customer) or customer.name}"[:200],
            ticket_type=TICKET_TYPE_OF_KIND[AppointmentKind(kind)],
            customer=customer,
            subscription=subscription,
            actor=actor,
        )
    appointment = Appointment.objects.create(
        tenant=tenant,
        kind=kind,
        ticket=ticket,
        technician=chosen,
        customer=customer,
        subscription=subscription,
        address=_address(customer),
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
        starts_at=starts_at,
        ends_at=ends_at,
        required_skills=skills,
        notes=notes,
    )
    audit.record(
        tenant=tenant,
        actor=actor,
        action="appointment.booked",
        obj=appointment,
        after={"technician": chosen.pk, "starts_at": starts_at.isoformat()},
    )
    return appointment


TRANSITIONS = ("set_out", "arrive", "fail", "cancel")
TRANSITION_CHOICES = [(name, name) for name in TRANSITIONS]


@transaction.atomic
def transition_appointment(
    *, appointment: Appointment, actor: Any, action: str, reason: str = ""
) -> Appointment:
    """Move the visit along: ``set_out`` (scheduled -> en_route), ``arrive``
    (-> on_site), ``fail`` (en route or on site -> failed, ``reason``
    required), ``cancel`` (scheduled or en route -> cancelled). Completion is
    ``complete_appointment``. Raises InvalidInput (``action``, ``reason``),
    InvalidTransition (``state``) when the state does not allow it."""
    if action not in TRANSITIONS:
        raise InvalidInput(f"expected one of {', '.join(TRANSITIONS)}", field="action")
    if action == "fail" and not reason.strip():
        raise InvalidInput("say why the visit failed", field="reason")
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    before = locked.state
    try:
        getattr(locked, action)()
    except TransitionNotAllowed:
        raise InvalidTransition(
            f"a visit that is {locked.get_state_display().lower()} can't {action}",
            field="state",
        ) from None
    if reason:
        locked.completion_notes = reason.strip()
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action=f"appointment.{action}",
        obj=locked,
        before={"state": before},
        after={"state": locked.state},
        reason=reason,
    )
    return locked


@transaction.atomic
def reschedule_appointment(
    *,
    appointment: Appointment,
    actor: Any,
    starts_at: dt.datetime,
    technician: Technician | None = None,
) -> Appointment:
    """Move a scheduled visit to ``starts_at`` (aware; same duration), with
    its technician or with ``technician`` (of the tenant), who must fit then
    as for a booking (skills, place, hours, days off, limit, free; the
    visit's own old slot does not count). Audited as
    ``appointment.rescheduled``.

    Raises InvalidInput naming ``starts_at`` (naive, past) or
    ``technician`` (another tenant's); InvalidTransition naming ``state``
    (the visit is not scheduled); NoTechnicianAvailable (409) with the
    next free slots when the technician does not fit."""
    locked = Appointment.objects.select_for_update().select_related("tenant").get(pk=appointment.pk)
    tenant = locked.tenant
    if locked.state != AppointmentState.SCHEDULED:
        raise InvalidTransition(
            f"a visit that is {locked.get_state_display().lower()} can't be moved",
            field="state",
        )
    if starts_at.tzinfo is None:
        raise InvalidInput("give a time zone (e.g. 2026-05-04T10:00:00Z)", field="starts_at")
    if starts_at < clock.now():
        raise InvalidInput("the visit must be in the future", field="starts_at")
    if technician is not None and technician.tenant_id != tenant.pk:
        raise InvalidInput("no such technician", field="technician")
    chosen_id = technician.pk if technician is not None else locked.technician_id
    starts_at = starts_at.astimezone(dt.UTC)
    ends_at = starts_at + (locked.ends_at - locked.starts_at)
    # The lock that keeps a booking and this move from taking the same time.
    techs = list(Technician.objects.filter(pk=chosen_id, is_active=True).select_for_update())
    day = starts_at.astimezone(ZoneInfo(tenant.timezone)).date()
    pool = candidates(tenant, techs, day, day, exclude=locked.pk)
    skills = list(locked.required_skills)
    job = locked.point
    if not scheduling.rank(pool, starts_at, ends_at, skills, job):
        reason = (pool[0].why_not(starts_at, ends_at, skills, job) if pool else "inactive") or ""
        suggested = suggest_slots(
            tenant=tenant,
            kind=locked.kind,
            customer=locked.customer,
            after=starts_at,
            duration_minutes=int((ends_at - starts_at).total_seconds() // 60),
            required_skills=skills,
            latitude=locked.latitude,
            longitude=locked.longitude,
        )
        raise NoTechnicianAvailable(
            f"this technician is not available then ({reason})",
            field="technician" if technician is not None else "starts_at",
            suggested=suggested,
        )
    before = {"technician": locked.technician_id, "starts_at": locked.starts_at.isoformat()}
    locked.technician_id = chosen_id
    locked.starts_at, locked.ends_at = starts_at, ends_at
    locked.save(update_fields=["technician", "starts_at", "ends_at", "updated_at"])
    audit.record(
        tenant=tenant,
        actor=actor,
        action="appointment.rescheduled",
        obj=locked,
        before=before,
        after={"technician": chosen_id, "starts_at": starts_at.isoformat()},
    )
    return locked


def check_photos(tenant: Tenant, photos: Sequence[Any]) -> list[tuple[Any, str, int, str]]:
    """Each uploaded photo as ``(file, name, size in bytes, MIME type)``,
    checked: at most ``PHOTO_MAX_COUNT``, each within the tenant's attachment
    limits (``TicketSettings.max_attachment_bytes``, its allowed ``image/*``
    types, read from the content, not the name). Raises InvalidInput
    (``photos``)."""
    if len(photos) > PHOTO_MAX_COUNT:
        raise InvalidInput(f"at most {PHOTO_MAX_COUNT} photos", field="photos")
    conf = settings_for(tenant)
    images = [t for t in conf.attachment_types if t.startswith("image/")]
    checked = []
    for photo in photos:
        try:
            name, size, mime = attachments.check(
                photo, max_bytes=conf.max_attachment_bytes, allowed=images
            )
        except InvalidInput as exc:
            label = getattr(photo, "name", "photo")
            raise InvalidInput(f"{label} {exc.message}", field="photos") from None
        checked.append((photo, name, size, mime))
    return checked


def _serials(values: Iterable[Any] | None) -> list[str]:
    clean: list[str] = []
    for value in values or ():
        serial = str(value).strip()
        if not serial:
            continue
        if len(serial) > SERIAL_MAX_LENGTH or not serial.isprintable():
            raise InvalidInput(
                f"a serial is printable text of at most {SERIAL_MAX_LENGTH} characters",
                field="serials",
            )
        if serial not in clean:
            clean.append(serial)
    if len(clean) > SERIALS_MAX:
        raise InvalidInput(f"at most {SERIALS_MAX} serials", field="serials")
    return clean


def _link_inventory(appointment: Appointment, serials: list[str], actor: Any) -> None:
    """Link the serials to the tenant's ONUs and devices (matched without
    regard to case); an in-stock ONU installed for the visit's subscription
    is assigned to it (``subscriptions.equipment.assign_onu``). A serial the
    inventory does not know stays text only. Raises InvalidTransition naming
    ``serials`` for an ONU that is assigned, faulty or returned."""
    upper = [s.upper() for s in serials]
    onus = list(Onu.objects.filter(tenant=appointment.tenant, serial__in=upper))
    devices = list(Device.objects.filter(tenant=appointment.tenant, serial__in=[*serials, *upper]))
    appointment.onus.set(onus)
    appointment.devices.set(devices)
    subscription = appointment.subscription
    if subscription is None or appointment.kind != AppointmentKind.INSTALLATION:
        return
    for onu in onus:
        if onu.assignments.filter(subscription=subscription, released_at=None).exists():
            continue
        if onu.state != OnuState.IN_STOCK:
            raise InvalidTransition(
                f"ONU {onu.serial} is {onu.get_state_display().lower()}, not in stock",
                field="serials",
            )
        assign_onu(onu=onu, subscription=subscription, actor=actor)


@transaction.atomic
def complete_appointment(
    *,
    appointment: Appointment,
    actor: Any,
    notes: str = "",
    photos: Sequence[Any] = (),
    serials: Iterable[Any] | None = None,
) -> Appointment:
    """Complete an on-site visit with its notes, photos (uploaded files,
    ``check_photos``) and the serial numbers of the equipment installed.

    Serials the tenant's inventory knows are linked (``onus``, ``devices``);
    an installation assigns its in-stock ONUs to its subscription. An
    installation resolves its ticket (``tickets.services.change_state``)
    and publishes ``events.InstallationCompleted`` (with the subscription id,
    for the order-to-activation step).

    Raises InvalidInput naming the field (``photos``, ``serials``),
    InvalidTransition (``state``) when the visit is not on site, (``serials``)
    for an ONU not in stock.
    """
    checked = check_photos(appointment.tenant, photos)
    clean_serials = _serials(serials)
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    try:
        locked.complete()
    except TransitionNotAllowed:
        raise InvalidTransition(
            f"a visit that is {locked.get_state_display().lower()} can't be completed; "
            "it must be on site",
            field="state",
        ) from None
    locked.completion_notes = notes.strip()
    locked.serials = clean_serials
    locked.completed_at = clock.now()
    locked.save()
    for photo, name, size, mime in checked:
        AppointmentPhoto.objects.create(
            tenant=locked.tenant,
            appointment=locked,
            file=photo,
            name=name,
            content_type=mime,
            size=size,
        )
    _link_inventory(locked, clean_serials, actor)
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="appointment.completed",
        obj=locked,
        after={"serials": clean_serials, "photos": len(checked)},
    )
    if locked.kind == AppointmentKind.INSTALLATION:
        if locked.ticket.state in OPEN_STATES:
            tickets.change_state(
                ticket=locked.ticket,
                state=TicketState.RESOLVED,
                actor=actor,
                reason=f"installation visit #{locked.pk} completed",
            )
        events.publish(
            events.InstallationCompleted(
                tenant_id=locked.tenant_id,
                appointment_id=locked.pk,
                ticket_id=locked.ticket_id,
                customer_id=locked.customer_id,
                subscription_id=locked.subscription_id,
                serials=clean_serials,
            )
        )
    return locked
