"""The recognition rules as pure functions: how an amount is spread over
months. ``recognition_sql`` applies the same rules set-based in PostgreSQL;
the tests hold the two against each other.

The standard is ASC 606 / IFRS 15, in the cases an ISP has:

- every invoice line is a performance obligation, its net amount the
  transaction price allocated to it;
- a service line (plan, add-on, proration, anything with a service period)
  is a stand-ready obligation satisfied over time (ASC 606-10-25-27 /
  IFRS 15.35(a)): recognised evenly per day of its period, both ends
  inclusive;
- a one-time item is satisfied at a point in time (ASC 606-10-25-30 /
  IFRS 15.38), its charge date, unless a ``ChargeRecognitionTerm`` spreads it
  evenly over N months;
- a discount (a bundle's, a promotion's) is allocated to the service lines
  of the same subscription on the same invoice in proportion to their
  standalone selling prices, their undiscounted net amounts
  (ASC 606-10-32-29 / IFRS 15.74), and follows each one's days.

Rounding is cumulative: the amount recognised through a point is the whole
amount times the elapsed share, rounded once (``core.money.round_money``),
and a slice is the difference of two such values. So the slices of an
amount always sum to it to the cent, and no slice drifts by more than one
minor unit from its exact share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from ispstack.core import clock
from ispstack.core.clock import month_end
from ispstack.core.errors import InvalidInput
from ispstack.core.money import ZERO, round_money


def cumulative(amount: Decimal, done: int, whole: int, currency: str) -> Decimal:
    """What of ``amount`` is recognised after ``done`` of ``whole`` equal units
    (days, months, weight), rounded once to ``currency``'s minor unit."""
    return round_money(amount * done / whole, currency)


def daily_slices(
    amount: Decimal, first: dt.date, last: dt.date, currency: str
) -> dict[dt.date, Decimal]:
    """``amount`` spread evenly over the days ``first``..``last`` (inclusive),
    as {first day of month: slice}. Raises InvalidInput (field ``period_end``)
    when ``last`` is before ``first``."""
    if last < first:
        raise InvalidInput("the period ends before it starts", field="period_end")
    whole = (last - first).days + 1
    slices: dict[dt.date, Decimal] = {}
    month = first.replace(day=1)
    while month <= last:
        before = max((month - first).days, 0)
        through = (min(last, month_end(month)) - first).days + 1
        slices[month] = cumulative(amount, through, whole, currency) - cumulative(
            amount, before, whole, currency
        )
        month = clock.add_months(month, 1)
    return slices


def even_slices(
    amount: Decimal, first_month: dt.date, months: int, currency: str
) -> dict[dt.date, Decimal]:
    """``amount`` spread evenly over ``months`` calendar months from
    ``first_month``, as {first day of month: slice}."""
    if months < 1:
        raise InvalidInput("must be at least one month", field="months")
    start = first_month.replace(day=1)
    return {
        clock.add_months(start, k): cumulative(amount, k + 1, months, currency)
        - cumulative(amount, k, months, currency)
        for k in range(months)
    }


def allocate(amount: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """``amount`` shared in proportion to ``weights`` (standalone selling
    prices, all positive), in their order; the shares sum to ``amount``.
    Raises InvalidInput (field ``weights``) when there is nothing to share by."""
    total = sum(weights, ZERO)
    if not weights or total <= ZERO or any(w <= ZERO for w in weights):
        raise InvalidInput("standalone selling prices must be positive", field="weights")
    shares, running = [], ZERO
    for weight in weights:
        shares.append(
            round_money(amount * (running + weight) / total, currency)
            - round_money(amount * running / total, currency)
        )
        running += weight
    return shares


def booked(slices: dict[dt.date, Decimal], first_open: dt.date | None) -> dict[dt.date, Decimal]:
    """``slices`` with every month before ``first_open`` (the first open month,
    None: all are open) moved into it: a closed month never changes."""
    if first_open is None:
        return dict(slices)
    out: dict[dt.date, Decimal] = {}
    for month, value in slices.items():
        key = max(month, first_open)
        out[key] = out.get(key, ZERO) + value
    return out
