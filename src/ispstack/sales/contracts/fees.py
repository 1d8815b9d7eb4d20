"""The early termination fee of a contract, to the cent.

The month of the term a day falls in is counted from ``term_start`` by
calendar months (``core.clock.add_months``, anchored on the start's day):
the term's first day to the day before the same day next month is month 1.
The month in which the contract ends is served and billed as usual, so the
fee covers the months after it: ended in month 7 of 24, 17 months remain.

Rules (``TerminationFeeRule``):

- ``fixed``: ``termination_fee_amount`` on any day of the term;
- ``remaining_months``: remaining months x ``monthly_commitment``;
- ``schedule``: the first step of ``termination_fee_schedule`` (by
  ``through_month``) whose month is not yet past: its ``amount``, or its
  ``percent`` of the remaining months' commitment; none after the last step.

After the end date the term is over and nothing is due; a renewed contract
counts from its renewal term's start. The fee is rounded once, at the end,
to the currency's minor unit (``core.money.round_money``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ispstack.core.clock import add_months
from ispstack.core.money import ZERO, round_money
from ispstack.sales.models import Contract, TerminationFeeRule


def month_of_term(contract: Contract, on: dt.date) -> int:
    """The month of the current term ``on`` falls in, 1 for the first (and
    for a day before the term starts); past the end, ``term_months`` + 1."""
    if on < contract.term_start:
        return 1
    months = (on.year - contract.term_start.year) * 12 + on.month - contract.term_start.month
    if add_months(contract.term_start, months, contract.term_start.day) > on:
        months -= 1
    return min(months + 1, contract.term_months + 1)


def remaining_months(contract: Contract, on: dt.date) -> int:
    """Whole months of the term after the month ``on`` falls in (0 past the end)."""
    if on > contract.end_date:
        return 0
    return max(contract.term_months - month_of_term(contract, on), 0)


def _step_fee(contract: Contract, month: int, remaining: Decimal) -> Decimal:
    steps: list[dict[str, Any]] = sorted(
        contract.termination_fee_schedule or [], key=lambda s: int(s["through_month"])
    )
    for step in steps:
        if month <= int(step["through_month"]):
            if step.get("amount") not in (None, ""):
                return Decimal(str(step["amount"]))
            return remaining * Decimal(str(step["percent"])) / Decimal(100)
    return ZERO


def termination_fee(contract: Contract, *, on: dt.date) -> Decimal:
    """The early termination fee if ``contract`` ends on ``on`` (a local
    date, its last day of service): Decimal in the contract's currency
    units, rounded to its minor unit; 0 after the end date or with no rule."""
    if on > contract.end_date:
        return round_money(ZERO, contract.currency)
    month = month_of_term(contract, on)
    remaining = contract.monthly_commitment * remaining_months(contract, on)
    rule = contract.termination_fee_rule
    if rule == TerminationFeeRule.FIXED:
        fee = contract.termination_fee_amount
    elif rule == TerminationFeeRule.REMAINING_MONTHS:
        fee = remaining
    elif rule == TerminationFeeRule.SCHEDULE:
        fee = _step_fee(contract, month, remaining)
    else:
        fee = ZERO
    return round_money(fee, contract.currency)
