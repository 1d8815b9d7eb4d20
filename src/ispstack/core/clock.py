"""The business clock.

Stored datetimes are aware UTC (``now()``); billing dates are the tenant's
local calendar dates (``today(tenant)``). Periodic work (billing runs,
collections runs, usage rollups) takes an explicit ``as_of`` date, so a run
for a date is repeatable and a simulation (``ispstack demo``) can move the
clock by passing the day it is simulating.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from ispstack.core.models import Tenant


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


def today(tenant: Tenant) -> dt.date:
    """The tenant's current local date (its ``timezone`` setting)."""
    return now().astimezone(ZoneInfo(tenant.timezone)).date()


def start_of_day(tenant: Tenant, day: dt.date) -> dt.datetime:
    """The aware UTC instant at which ``day`` begins in the tenant's timezone."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(tenant.timezone))
    return local.astimezone(dt.UTC)


def clamp_day(year: int, month: int, day: int) -> dt.date:
    """``date(year, month, day)`` with ``day`` clamped to the month's last day (31 -> 28/29/30)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """``day`` moved by ``months`` calendar months.

    The day of month is ``anchor_day`` (default ``day.day``), clamped to the month.
    """
    index = day.year * 12 + (day.month - 1) + months
    return clamp_day(index // 12, index % 12 + 1, anchor_day or day.day)
