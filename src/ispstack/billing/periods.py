"""Billing periods and proration: the rule in one place.

Periods are monthly and billed in advance. A period starts on the billing
day (clamped to the month's last day: day 31 gives Jan 31, Feb 28, Mar 31)
and ends the day before the next one. A subscription that starts between
billing days gets a first, shorter period from its start date to the day
before the next billing day, prorated by days:

    amount = monthly price x days in the short period / days in the full
             period that contains it

(seed 004, "pro-rata"; the full period's length is used, not 30, so a
full period always costs exactly the monthly price).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ispstack.core.clock import add_months, clamp_day

ONE_DAY = dt.timedelta(days=1)


def anchor_on_or_before(day: dt.date, billing_day: int) -> dt.date:
    """The latest billing date not after ``day``."""
    this_month = clamp_day(day.year, day.month, billing_day)
    return this_month if this_month <= day else add_months(this_month, -1, billing_day)


def next_anchor(day: dt.date, billing_day: int) -> dt.date:
    """The first billing date strictly after ``day``."""
    return add_months(anchor_on_or_before(day, billing_day), 1, billing_day)


@dataclass(frozen=True)
class Period:
    """A billing period ``start``..``end`` (both inclusive) and its share of a full period."""

    start: dt.date
    end: dt.date
    full_days: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def fraction(self) -> Decimal:
        """Days billed over days in the full period (1 for a full period), unrounded."""
        return Decimal(self.days) / Decimal(self.full_days)

    @property
    def is_full(self) -> bool:
        return self.days == self.full_days


def period_starting(start: dt.date, billing_day: int) -> Period:
    """The period that begins on ``start`` and runs to the day before the next billing date."""
    full_start = anchor_on_or_before(start, billing_day)
    end_anchor = next_anchor(start, billing_day)
    return Period(start=start, end=end_anchor - ONE_DAY, full_days=(end_anchor - full_start).days)


def periods_due(
    *,
    service_start: dt.date,
    billing_day: int,
    as_of: dt.date,
    billed_through: dt.date | None = None,
    service_end: dt.date | None = None,
) -> list[Period]:
    """Every period to bill in advance on ``as_of``: starting after ``billed_through``
    (or on ``service_start``), on or before ``as_of`` and before ``service_end``."""
    start = billed_through + ONE_DAY if billed_through else service_start
    due = []
    while start <= as_of and (service_end is None or start <= service_end):
        period = period_starting(start, billing_day)
        due.append(period)
        start = period.end + ONE_DAY
    return due
