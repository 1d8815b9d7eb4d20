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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from ispstack.core.models import Tenant


# The instant a simulation (``ispstack demo``) has reached; None: the wall clock.
_SIMULATED: ContextVar[dt.datetime | None] = ContextVar("ispstack_simulated_now", default=None)


def now() -> dt.datetime:
    """The current instant, aware, in UTC: the wall clock, or inside
    ``simulated()`` the instant the simulation has reached."""
    moment = _SIMULATED.get()
    return moment if moment is not None else timezone.now()


@contextmanager
def simulated(moment: dt.datetime) -> Iterator[None]:
    """Run the block with the business clock at ``moment`` (aware), moved on
    with ``move_to``: every ``now()`` and ``today()``, and so every timestamp
    the services and the models' ``created_at`` / ``updated_at`` write, follows
    the simulation instead of the wall clock. Raises ValueError for a naive
    ``moment``."""
    if timezone.is_naive(moment):
        raise ValueError("a simulated instant must be aware")
    token = _SIMULATED.set(moment.astimezone(dt.UTC))
    try:
        yield
    finally:
        _SIMULATED.reset(token)


def move_to(moment: dt.datetime) -> None:
    """Move the simulated clock to ``moment`` (aware; forwards or backwards).

    Raises RuntimeError outside ``simulated()``: the wall clock can't be moved."""
    if _SIMULATED.get() is None:
        raise RuntimeError("the clock moves only inside clock.simulated()")
    if timezone.is_naive(moment):
        raise ValueError("a simulated instant must be aware")
    _SIMULATED.set(moment.astimezone(dt.UTC))


def today(tenant: Tenant) -> dt.date:
    """The tenant's current local date (its ``timezone`` setting)."""
    return local_date(tenant, now())


def local_date(tenant: Tenant, moment: dt.datetime) -> dt.date:
    """The tenant's local date at the aware instant ``moment``."""
    return moment.astimezone(ZoneInfo(tenant.timezone)).date()


def start_of_day(tenant: Tenant, day: dt.date) -> dt.datetime:
    """The aware UTC instant at which ``day`` begins in the tenant's timezone."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(tenant.timezone))
    return local.astimezone(dt.UTC)


def clamp_day(year: int, month: int, day: int) -> dt.date:
    """``date(year, month, day)`` with ``day`` clamped to the month's last day (31 -> 28/29/30)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s calendar month."""
    return clamp_day(day.year, day.month, 31)


def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """``day`` moved by ``months`` calendar months.

    The day of month is ``anchor_day`` (default ``day.day``), clamped to the month.
    """
    index = day.year * 12 + (day.month - 1) + months
    return clamp_day(index // 12, index % 12 + 1, anchor_day or day.day)
