"""Field-service rows for the walks over every model (tenancy, admin, API):
a technician with time off, and an appointment with a photo."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from ispstack.core import clock
from ispstack.customers.services import create_customer
from ispstack.tickets.field import services
from ispstack.tickets.models import Appointment, AppointmentPhoto, Technician

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def add_field_rows(tenant: Any, user: Any) -> Appointment:
    """Make staff ``user`` of ``tenant`` a technician and book them a visit next
    week (Monday 09:00 local), with days off that week's Friday and a photo."""
    technician = Technician.objects.filter(user=user).first() or services.save_technician(
        tenant=tenant, actor=None, user=user, skills=["cpe_install"]
    )
    day = clock.today(tenant) + dt.timedelta(days=7)
    monday = day - dt.timedelta(days=day.weekday())
    services.add_time_off(
        technician=technician,
        actor=None,
        start_date=monday + dt.timedelta(days=4),
        end_date=monday + dt.timedelta(days=4),
    )
    customer = create_customer(
        tenant=tenant,
        name=f"Field customer {tenant.slug}",
        email=f"field@{tenant.slug}.example",
        service_latitude="52.5",
        service_longitude="13.4",
    )
    start = dt.datetime.combine(monday, dt.time(9), tzinfo=ZoneInfo(tenant.timezone))
    appointment = services.book_appointment(
        tenant=tenant,
        actor=None,
        kind="installation",
        customer=customer,
        starts_at=start.astimezone(dt.UTC),
        technician=technician,
    )
    AppointmentPhoto.objects.create(
        tenant=tenant,
        appointment=appointment,
        file=ContentFile(JPEG, name="cpe.jpg"),
        name="cpe.jpg",
        content_type="image/jpeg",
        size=len(JPEG),
    )
    return appointment


def add_field_world(tenant: Any) -> SimpleNamespace:
    """Field rows for the API walks: ``appointment`` (scheduled), ``on_site``
    (a repair at the technician's, ready to complete), ``staff`` (a user who
    is no technician yet), ``free_slot`` (ISO start of a free slot) and
    ``free_day`` (ISO date without visits)."""
    from ispstack.core.models import User

    n = User.objects.count()
    worker = User.objects.create_user(
        username=f"tech-{tenant.slug}-{n}", tenant=tenant, is_staff=True
    )
    appointment = add_field_rows(tenant, worker)
    day = appointment.starts_at.astimezone(ZoneInfo(tenant.timezone)).date()
    at_two = dt.datetime.combine(day, dt.time(14), tzinfo=ZoneInfo(tenant.timezone))
    on_site = services.book_appointment(
        tenant=tenant,
        actor=None,
        kind="repair",
        customer=appointment.customer,
        starts_at=at_two.astimezone(dt.UTC),
        technician=appointment.technician,
    )
    for action in ("set_out", "arrive"):
        on_site = services.transition_appointment(appointment=on_site, actor=None, action=action)
    at_one = dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(13), tzinfo=ZoneInfo(tenant.timezone)
    )
    staff = User.objects.create_user(
        username=f"staff-{tenant.slug}-{n}", tenant=tenant, is_staff=True
    )
    return SimpleNamespace(
        appointment=appointment,
        on_site=on_site,
        staff=staff,
        free_slot=at_one.astimezone(dt.UTC).isoformat(),
        free_day=(day + dt.timedelta(days=21)).isoformat(),
    )
