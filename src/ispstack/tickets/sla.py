"""Business-time arithmetic for SLA targets.

An SLA target such as "resolve within 48 hours" counts business time only:
the tenant's working hours on its business days, in its timezone, without
public holidays (the ``holidays`` package, for the tenant's country and
region) and without the tenant's own holidays. Product default: Monday to
Friday 08:00-17:00 local time (``TicketSettings``).

The functions here are pure: they take a ``BusinessCalendar`` and aware
datetimes and return aware UTC datetimes or whole minutes. Arithmetic is done
in UTC so a daylight-saving change inside a business day counts the real
elapsed minutes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Container
from zoneinfo import ZoneInfo

# No calendar skips a year of days; a longer search means no business time at all.
_MAX_DAYS = 3 * 366


@dataclasses.dataclass(frozen=True)
class BusinessCalendar:
    """When business time runs: ``weekdays`` (ISO, 1 Monday .. 7 Sunday)
    from ``start`` to ``end`` local time in ``tz``, except on ``holidays``
    (any container of local dates, e.g. a ``holidays.HolidayBase``)."""

    tz: ZoneInfo
    weekdays: frozenset[int]
    start: dt.time
    end: dt.time
    holidays: Container[dt.date] = frozenset()

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= frozenset(range(1, 8)):
            raise ValueError("weekdays must be a non-empty set of ISO weekdays 1..7")
        if self.end <= self.start:
            raise ValueError("the business day must end after it starts")

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The business hours of local ``day`` as aware UTC instants, or None
        for a day off."""
        if day.isoweekday() not in self.weekdays or day in self.holidays:
            return None
        opens = dt.datetime.combine(day, self.start, tzinfo=self.tz).astimezone(dt.UTC)
        closes = dt.datetime.combine(day, self.end, tzinfo=self.tz).astimezone(dt.UTC)
        return opens, closes


def _walk(
    moment: dt.datetime,
    calendar: BusinessCalendar,
    visit: Callable[[dt.datetime, dt.datetime], bool],
) -> None:
    """Call ``visit(from, to)`` for each stretch of business time from
    ``moment`` on (the first one clipped to ``moment``) until it returns True.

    Raises ValueError when a long search finds no business time at all."""
    if moment.tzinfo is None:
        raise ValueError("business time needs an aware datetime")
    moment = moment.astimezone(dt.UTC)
    day = moment.astimezone(calendar.tz).date()
    for _ in range(_MAX_DAYS):
        window = calendar.window(day)
        if window is not None:
            opens, closes = window
            begin = max(opens, moment)
            if begin < closes and visit(begin, closes):
                return
        day += dt.timedelta(days=1)
    raise ValueError("the calendar has no business time within three years")


def add_business_minutes(
    moment: dt.datetime, minutes: int, calendar: BusinessCalendar
) -> dt.datetime:
    """The instant ``minutes`` business minutes after ``moment``.

    ``moment`` is any aware datetime; the result is an aware UTC datetime.
    Time outside business hours, on days off and on holidays does not count:
    Friday 16:00 plus 120 minutes is Monday 09:00 with Monday-Friday
    08:00-17:00. A target that ends exactly at closing time ends at closing
    time, not at the next opening. ``minutes`` of 0 returns ``moment`` (in UTC).

    Raises ValueError for a naive ``moment``, negative ``minutes``, or a
    calendar without business time.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if moment.tzinfo is None:
        raise ValueError("business time needs an aware datetime")
    if minutes == 0:
        return moment.astimezone(dt.UTC)
    left = dt.timedelta(minutes=minutes)
    found: list[dt.datetime] = []

    def visit(begin: dt.datetime, end: dt.datetime) -> bool:
        nonlocal left
        if begin + left <= end:
            found.append(begin + left)
            return True
        left -= end - begin
        return False

    _walk(moment, calendar, visit)
    return found[0]


def business_minutes_between(
    start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar
) -> int:
    """Whole business minutes from ``start`` to ``end`` (aware datetimes),
    rounded down; 0 when ``end`` is not after ``start``.

    Raises ValueError for naive datetimes.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    if end <= start:
        return 0
    total = dt.timedelta()

    def visit(begin: dt.datetime, close: dt.datetime) -> bool:
        nonlocal total
        if begin >= end:
            return True
        total += min(close, end) - begin
        return close >= end

    # No business time left after start: what was summed is all there is.
    with contextlib.suppress(ValueError):
        _walk(start, calendar, visit)
    return int(total.total_seconds() // 60)
