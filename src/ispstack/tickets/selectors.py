"""Reads of the helpdesk shared by the console, the API and the services."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Container
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import holidays as public_holidays
from django.db.models import F, QuerySet

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.tickets.choices import OPEN_STATES, SLA_RUNNING_STATES
from ispstack.tickets.models import Holiday, SlaPolicy, Ticket, TicketSettings
from ispstack.tickets.models.sla import DEFAULT_TARGETS
from ispstack.tickets.sla import BusinessCalendar, business_minutes_between


def settings_for(tenant: Tenant) -> TicketSettings:
    """The tenant's helpdesk settings (created with the defaults when missing)."""
    return tenant_settings.settings_of(tenant, TicketSettings)


class _DaysOff(Container[date]):
    """Public holidays of a country (computed per year on demand) plus the
    tenant's own days."""

    def __init__(self, public: Container[date], own: frozenset[date]) -> None:
        self.public = public
        self.own = own

    def __contains__(self, day: object) -> bool:
        return day in self.own or day in self.public


@functools.lru_cache(maxsize=64)
def public_holidays_of(country: str, subdivision: str) -> Container[date]:
    """The public holidays of ``country`` (ISO 3166-1 alpha-2) and
    ``subdivision`` (ISO 3166-2 code or empty), from the ``holidays``
    package, years computed on demand; none for a country it does not know.
    Kept per process: they depend on nothing a tenant edits."""
    try:
        return public_holidays.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError:
        return frozenset()


def calendar_for(tenant: Tenant) -> BusinessCalendar:
    """The business calendar the tenant's SLA targets are counted in: its
    business days and hours (``TicketSettings``), in its timezone, without
    the public holidays of its country (``public_holidays_of``) and without
    its own ``Holiday`` days (one query). Build it once per operation and
    pass it on (``services.stamp_sla``).
    """
    conf = settings_for(tenant)
    country = (conf.holiday_country or tenant.country or "").upper()
    public = public_holidays_of(country, conf.holiday_subdivision or "")
    own = frozenset(Holiday.objects.filter(tenant=tenant).values_list("day", flat=True))
    return BusinessCalendar(
        tz=ZoneInfo(tenant.timezone),
        weekdays=frozenset(conf.business_days),
        start=conf.business_day_start,
        end=conf.business_day_end,
        holidays=_DaysOff(public, own),
    )


def targets_for(tenant: Tenant, priority: str) -> tuple[int, int, int]:
    """``(first_response_minutes, resolution_minutes, warn_percent)`` of
    ``priority`` in business minutes: the tenant's ``SlaPolicy`` or the
    product defaults (``models.sla.DEFAULT_TARGETS``, warn at 80 %)."""
    policy = SlaPolicy.objects.filter(tenant=tenant, priority=priority).first()
    if policy is not None:
        return policy.first_response_minutes, policy.resolution_minutes, policy.warn_percent
    first, resolution = DEFAULT_TARGETS[priority]  # type: ignore[index]
    return first, resolution, 80


def sla_minutes_left(ticket: Any, calendar: BusinessCalendar, now: dt.datetime) -> int | None:
    """Business minutes until ``ticket``'s resolution is due (negative: that
    many business minutes overdue); None when its SLA clock is not running
    (waiting on the customer, resolved, closed) or it has no due time."""
    if ticket.sla_due_at is None or ticket.state not in SLA_RUNNING_STATES:
        return None
    if now <= ticket.sla_due_at:
        return business_minutes_between(now, ticket.sla_due_at, calendar)
    return -business_minutes_between(ticket.sla_due_at, now, calendar)


def queue(tenant: Tenant, *, team: Any = None, assignee: Any = None) -> QuerySet[Ticket]:
    """The open tickets of ``tenant`` (of ``team`` and/or ``assignee`` when
    given), the most urgent first: earliest resolution due time, then
    highest priority."""
    rows = Ticket.objects.filter(tenant=tenant, state__in=OPEN_STATES)
    if team is not None:
        rows = rows.filter(team=team)
    if assignee is not None:
        rows = rows.filter(assignee=assignee)
    return rows.select_related("customer", "team", "assignee").order_by(
        F("sla_due_at").asc(nulls_last=True), "-id"
    )
