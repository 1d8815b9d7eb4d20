"""The rules of assigning a field job, as pure functions over plain values.

No database here: ``services.book_appointment`` loads technicians and their
bookings into ``Candidate`` values, asks ``rank`` who fits a slot and
``next_slots`` where the next free slots are, and writes the result.

Distances are great-circle kilometres (haversine on a sphere of the mean
Earth radius, IUGG 6371.0088 km): an estimate of travel, good enough to
prefer the nearer technician. Working hours are the tenant's local wall
clock; every instant in and out is aware UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from ispstack.network import coverage

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Product default: a weekday 08:00-17:00 shift, weekends off.
DEFAULT_WORKING_HOURS: dict[str, list[str]] = {day: ["08:00", "17:00"] for day in WEEKDAYS[:5]}
# Product default: candidate slots start on the half hour.
SLOT_STEP = dt.timedelta(minutes=30)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    return coverage.distance_m(float(a[0]), float(a[1]), float(b[0]), float(b[1])) / 1000


def parse_hhmm(value: Any, field: str) -> dt.time:
    """``"HH:MM"`` as a time. Raises ValueError naming ``field`` otherwise."""
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{field}: '{value}' is not a time (HH:MM)") from None


def check_working_hours(hours: Any) -> dict[str, list[str]]:
    """Validate working hours: ``{"mon": ["08:00", "17:00"], ...}``, weekday keys
    of ``WEEKDAYS``, a start before the end (no shift past midnight); a missing
    day is a day off. Returns them normalised; raises ValueError naming the day."""
    if not isinstance(hours, Mapping):
        raise ValueError('working_hours: expected {"mon": ["08:00", "17:00"], ...}')
    clean: dict[str, list[str]] = {}
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise ValueError(f"working_hours.{day}: not a weekday ({', '.join(WEEKDAYS)})")
        if not isinstance(span, Sequence) or isinstance(span, str) or len(span) != 2:
            raise ValueError(f"working_hours.{day}: expected [start, end]")
        start = parse_hhmm(span[0], f"working_hours.{day}")
        end = parse_hhmm(span[1], f"working_hours.{day}")
        if start >= end:
            raise ValueError(f"working_hours.{day}: the start must be before the end")
        clean[day] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return clean


def working_window(
    hours: Mapping[str, Sequence[str]], day: dt.date, tz: str
) -> tuple[dt.datetime, dt.datetime] | None:
    """The aware UTC start and end of the shift on the local ``day``, or None on a day off."""
    span = hours.get(WEEKDAYS[day.weekday()])
    if not span:
        return None
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(day, parse_hhmm(span[0], "start"), tzinfo=zone)
    end = dt.datetime.combine(day, parse_hhmm(span[1], "end"), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def area_shape(geojson: Any) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon (coordinates as [longitude, latitude])
    as a shapely geometry. Raises ValueError when it is not a valid polygon."""
    try:
        geometry = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ValueError(f"service_area: not a GeoJSON polygon ({exc})") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
        raise ValueError("service_area: expected a valid GeoJSON Polygon or MultiPolygon")
    return geometry


@dataclasses.dataclass(frozen=True)
class Booking:
    """A technician's appointment that holds time: aware UTC start and end,
    and the job's (latitude, longitude) when known."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    point: tuple[float, float] | None = None


@dataclasses.dataclass
class Candidate:
    """A technician as the rules see them.

    ``home``: (latitude, longitude) of the home base; ``radius_km`` and/or
    ``area`` (a GeoJSON polygon): the service area (neither: anywhere);
    ``hours``: working hours (``check_working_hours``) on the clock of ``tz``;
    ``days_off``: local dates of time off; ``bookings``: appointments that hold
    time (not cancelled or failed).
    """

    id: int
    skills: frozenset[str]
    home: tuple[float, float] | None
    hours: Mapping[str, Sequence[str]]
    tz: str
    max_jobs_per_day: int
    radius_km: float | None = None
    area: Any = None
    days_off: frozenset[dt.date] = frozenset()
    bookings: list[Booking] = dataclasses.field(default_factory=list)
    _shape: BaseGeometry | None = dataclasses.field(default=None, repr=False, compare=False)

    def covers(self, point: tuple[float, float]) -> bool:
        """Whether the service area reaches ``point``: inside the polygon when
        one is set, within ``radius_km`` of the home base when set, both when both."""
        if self.area and not self._area_shape().covers(Point(point[1], point[0])):
            return False
        if self.radius_km is None:
            return True
        return self.home is not None and haversine_km(self.home, point) <= self.radius_km

    def _area_shape(self) -> BaseGeometry:
        if self._shape is None:
            self._shape = area_shape(self.area)
        return self._shape

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(ZoneInfo(self.tz)).date()

    def jobs_on(self, day: dt.date) -> list[Booking]:
        return [b for b in self.bookings if self.local_day(b.starts_at) == day]

    def why_not(
        self, starts_at: dt.datetime, ends_at: dt.datetime, skills: Iterable[str], point: Any
    ) -> str | None:
        """The first rule that keeps this technician from the job, or None when free.

        Rules, in order: skills, service area, working hours (the slot within
        one shift), time off, max jobs per day, no overlapping booking.
        """
        if not set(skills) <= self.skills:
            return "skills"
        if point is not None and not self.covers(point):
            return "service_area"
        day = self.local_day(starts_at)
        window = working_window(self.hours, day, self.tz)
        if window is None or starts_at < window[0] or ends_at > window[1]:
            return "working_hours"
        if day in self.days_off:
            return "time_off"
        if len(self.jobs_on(day)) >= self.max_jobs_per_day:
            return "max_jobs_per_day"
        if any(b.starts_at < ends_at and starts_at < b.ends_at for b in self.bookings):
            return "calendar"
        return None

    def origin(self, starts_at: dt.datetime) -> tuple[float, float] | None:
        """Where the technician sets out from: the place of their last job
        ending by ``starts_at`` that day, else the home base."""
        day = self.local_day(starts_at)
        earlier = [b for b in self.jobs_on(day) if b.ends_at <= starts_at and b.point is not None]
        if earlier:
            return max(earlier, key=lambda b: b.ends_at).point
        return self.home


def rank(
    candidates: Iterable[Candidate],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    skills: Iterable[str],
    point: tuple[float, float] | None,
) -> list[Candidate]:
    """The technicians free for the job, best first: nearest (from their origin
    to ``point``; unknown distances last), then fewest jobs that day, then id."""
    skills = list(skills)
    fit = [c for c in candidates if c.why_not(starts_at, ends_at, skills, point) is None]

    def key(c: Candidate) -> tuple[float, int, int]:
        origin = c.origin(starts_at)
        distance = haversine_km(origin, point) if origin and point else math.inf
        return (distance, len(c.jobs_on(c.local_day(starts_at))), c.id)

    return sorted(fit, key=key)


def next_slots(
    candidates: Sequence[Candidate],
    after: dt.datetime,
    duration: dt.timedelta,
    skills: Iterable[str],
    point: tuple[float, float] | None,
    *,
    days: int,
    limit: int,
) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """Up to ``limit`` free slots from ``after`` on, within ``days`` local days:
    (start, end, id of the technician ``rank`` would pick). Slots start on
    ``SLOT_STEP`` boundaries of each technician's shift; at most one per start."""
    skills = list(skills)
    # Skills and area do not change with the slot: checked once, not per slot.
    candidates = [
        c for c in candidates if set(skills) <= c.skills and (point is None or c.covers(point))
    ]
    if not candidates:
        return []
    tz = candidates[0].tz
    first_day = after.astimezone(ZoneInfo(tz)).date()
    found: list[tuple[dt.datetime, dt.datetime, int]] = []
    for offset in range(days + 1):
        day = first_day + dt.timedelta(days=offset)
        starts: set[dt.datetime] = set()
        for c in candidates:
            window = working_window(c.hours, day, c.tz)
            if window is None:
                continue
            moment = window[0]
            while moment + duration <= window[1]:
                if moment >= after:
                    starts.add(moment)
                moment += SLOT_STEP
        for start in sorted(starts):
            best = rank(candidates, start, start + duration, skills, point)
            if best:
                found.append((start, start + duration, best[0].id))
                if len(found) >= limit:
                    return found
    return found
