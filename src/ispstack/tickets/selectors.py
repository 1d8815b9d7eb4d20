"""Reads of the helpdesk shared by the console, the API and the services."""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from zoneinfo import ZoneInfo

import holidays as public_holidays

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.tickets.models import Holiday, SlaPolicy, TicketSettings
from ispstack.tickets.models.sla import DEFAULT_TARGETS
from ispstack.tickets.sla import BusinessCalendar


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


def calendar_for(tenant: Tenant) -> BusinessCalendar:
    """The business calendar the tenant's SLA targets are counted in: its
    business days and hours (``TicketSettings``), in its timezone, without
    the public holidays of its country (the ``holidays`` package; a country
    the package does not know has none) and without its own ``Holiday`` days.
    """
    conf = settings_for(tenant)
    country = (conf.holiday_country or tenant.country or "").upper()
    public: Container[date]
    try:
        public = public_holidays.country_holidays(country, subdiv=conf.holiday_subdivision or None)
    except NotImplementedError:
        public = frozenset()
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
