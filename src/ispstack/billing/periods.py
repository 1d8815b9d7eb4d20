"""Billing periods and proration: the rule in one place.

A period starts on the billing day (clamped to the month's last day: day 31
gives Jan 31, Feb 28, Mar 31) and lasts the plan's cycle (1, 3 or 12
months), ending the day before the next billing date of the cycle. A
period cut short (service starts or ends between billing dates, a plan
change, a changed billing day) is prorated by days:

    amount = price of a full period x days billed / days in the full
             period that contains them

("pro-rata"; the real length of the full period is used, never a
30-day month, so a full period always costs exactly its price).

In advance, a period is due on its first day; in arrears, on the day after
its last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ispstack.core.clock import add_months, clamp_day

ONE_DAY = dt.timedelta(days=1)
ADVANCE = "advance"


def anchor_on_or_before(day: dt.date, billing_day: int) -> dt.date:
    """The latest monthly billing date not after ``day``."""
    this_month = clamp_day(day.year, day.month, billing_day)
    return this_month if this_month <= day else add_months(this_month, -1, billing_day)


def next_anchor(day: dt.date, billing_day: int, cycle_months: int = 1) -> dt.date:
    """The end of the cycle holding ``day``: ``cycle_months`` after the anchor on or before it."""
    return add_months(anchor_on_or_before(day, billing_day), cycle_months, billing_day)


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


def period_starting(start: dt.date, billing_day: int, cycle_months: int = 1) -> Period:
    """The period that begins on ``start`` and runs to the end of its cycle."""
    full_start = anchor_on_or_before(start, billing_day)
    end_anchor = add_months(full_start, cycle_months, billing_day)
    return Period(start=start, end=end_anchor - ONE_DAY, full_days=(end_anchor - full_start).days)


@lru_cache(maxsize=4096)
def periods_due(
    *,
    service_start: dt.date,
    billing_day: int,
    as_of: dt.date,
    billed_through: dt.date | None = None,
    service_end: dt.date | None = None,
    cycle_months: int = 1,
    timing: str = ADVANCE,
) -> tuple[Period, ...]:
    """Every period to invoice on ``as_of``, after ``billed_through`` (or from
    ``service_start``), cut at ``service_end``; in advance those that have
    begun, in arrears those that have ended.

    Cached: a run asks the same question for thousands of subscriptions
    that share a billing day and a billing state. The result is a tuple.
    """
    start = billed_through + ONE_DAY if billed_through else service_start
    due: list[Period] = []
    while service_end is None or start <= service_end:
        period = period_starting(start, billing_day, cycle_months)
        if service_end is not None and period.end > service_end:
            period = Period(start=period.start, end=service_end, full_days=period.full_days)
        if (period.start if timing == ADVANCE else period.end + ONE_DAY) > as_of:
            break
        due.append(period)
        start = period.end + ONE_DAY
    return tuple(due)


@lru_cache(maxsize=4096)
def first_due_date(start: dt.date, billing_day: int, cycle_months: int, timing: str) -> dt.date:
    """When the period beginning on ``start`` becomes due."""
    if timing == ADVANCE:
        return start
    return period_starting(start, billing_day, cycle_months).end + ONE_DAY
