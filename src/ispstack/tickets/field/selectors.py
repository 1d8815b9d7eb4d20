"""Reads of field service shared by the console and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from ispstack.core import clock
from ispstack.core.models import Tenant
from ispstack.core.tenancy import scope
from ispstack.tickets.models.field import Appointment, Technician

# Who books visits dispatches them: support and admin hold it, technicians not.
DISPATCH_PERM = "tickets.add_appointment"


def may_act(user: Any, technician: Technician) -> bool:
    """Whether ``user`` may move along, reschedule or complete a visit of
    ``technician`` (same tenant assumed: the caller scoped the row): with
    ``tickets.change_appointment``, a technician on their own visits only,
    a dispatcher (``DISPATCH_PERM``: support, admin) on every visit."""
    if not user.has_perm("tickets.change_appointment"):
        return False
    return bool(technician.user_id == user.pk or user.has_perm(DISPATCH_PERM))


def appointments(user: Any) -> QuerySet[Appointment]:
    """The appointments ``user`` may see, with what a list shows, by start."""
    return scope(
        Appointment.objects.select_related("technician__user", "customer", "ticket"), user
    ).order_by("starts_at", "id")


def on_day(queryset: QuerySet[Appointment], tenant: Tenant, day: dt.date) -> QuerySet[Appointment]:
    """``queryset`` limited to visits starting on the tenant-local ``day``."""
    begin = clock.start_of_day(tenant, day)
    end = clock.start_of_day(tenant, day + dt.timedelta(days=1))
    return queryset.filter(starts_at__gte=begin, starts_at__lt=end)


def technicians(user: Any) -> QuerySet[Technician]:
    """The technicians ``user`` may see, by name."""
    return scope(Technician.objects.select_related("user"), user).order_by(
        "user__first_name", "user__username"
    )


def week_grid(
    tenant: Tenant, techs: list[Technician], rows: list[Appointment], first_day: dt.date, days: int
) -> list[dict[str, Any]]:
    """The dispatcher's calendar: per technician, per local day, the visits
    starting that day: ``[{"technician", "days": [[Appointment, ...], ...]}]``."""
    index = {t.pk: i for i, t in enumerate(techs)}
    grid: list[list[list[Appointment]]] = [[[] for _ in range(days)] for _ in techs]
    tz = ZoneInfo(tenant.timezone)
    for a in rows:
        offset = (a.starts_at.astimezone(tz).date() - first_day).days
        if a.technician_id in index and 0 <= offset < days:
            grid[index[a.technician_id]][offset].append(a)
    return [{"technician": t, "days": grid[i]} for i, t in enumerate(techs)]


def label_times(rows: list[Appointment], tenant: Tenant) -> list[Appointment]:
    """Set ``local_day`` (``YYYY-MM-DD``), ``local_start`` and ``local_end``
    (``HH:MM``) on each visit, in the tenant's time zone, for display."""
    tz = ZoneInfo(tenant.timezone)
    for a in rows:
        start, end = a.starts_at.astimezone(tz), a.ends_at.astimezone(tz)
        a.local_day = start.date().isoformat()  # type: ignore[attr-defined]
        a.local_start = start.strftime("%H:%M")  # type: ignore[attr-defined]
        a.local_end = end.strftime("%H:%M")  # type: ignore[attr-defined]
    return rows
