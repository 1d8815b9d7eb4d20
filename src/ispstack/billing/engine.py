"""The billing engine: what one subscription owes on a date, as pure data.

No database here. The runner loads a snapshot of each subscription (its
recurring items and pending one-time charges), asks ``compute`` for a draft
invoice and writes the drafts in bulk. Keeping the arithmetic pure makes it
testable as a table of scenarios and fast enough for 100,000 subscriptions.

Amounts are Decimal in currency units. Rounding follows ``core.money``:
each line's net is rounded once after proration, its tax is computed from
the rounded net and rounded once, and totals are sums of lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from ispstack.billing.periods import ONE_DAY, Period, first_due_date, periods_due
from ispstack.billing.tax import Window, rate_on, retax_per_invoice, split
from ispstack.core.money import ZERO, round_money

SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class RecurringItem:
    """Something billed every cycle: the plan, or an add-on.

    ``monthly_price`` is net of tax per unit and month; a period costs
    ``monthly_price x cycle_months x quantity``, prorated by days.
    """

    kind: str
    ref: int
    name: str
    monthly_price: Decimal
    tax_rate: Decimal
    start: dt.date
    billed_through: dt.date | None = None
    end: dt.date | None = None
    quantity: Decimal = Decimal(1)
    cycle_months: int = 1
    timing: str = "advance"
    rates: tuple[Window, ...] = ()

    def rate_on(self, day: dt.date) -> Decimal:
        """The tax rate on ``day``: the dated rate valid then, else ``tax_rate``."""
        return rate_on(self.rates, day, self.tax_rate)


@dataclass(frozen=True)
class OneTimeItem:
    """A pending charge (installation, late fee, proration), net of tax.

    ``period_start``..``period_end`` are the service days it bills, when it
    bills days (a proration); its invoice line carries them, so that a later
    change can credit exactly those days.
    """

    ref: int
    description: str
    amount: Decimal
    tax_rate: Decimal
    kind: str = "one_time"
    period_start: dt.date | None = None
    period_end: dt.date | None = None


@dataclass(frozen=True)
class DiscountItem:
    """A promotion or bundle discount on some of the draft's recurring lines.

    ``targets`` are the (kind, ref) of the items it discounts; only periods
    starting on or after ``start`` count, and at most ``cycles_left``
    periods (None: no limit). Percent: ``value`` % of each line's net;
    fixed: ``value`` per full period, prorated like the line, never more
    than the line.
    """

    ref: int
    name: str
    discount_kind: str
    value: Decimal
    targets: frozenset[tuple[str, int]]
    start: dt.date | None = None
    cycles_left: int | None = None


@dataclass(frozen=True)
class DraftLine:
    """One invoice line as the runner will write it."""

    kind: str
    ref: int
    description: str
    period_start: dt.date | None
    period_end: dt.date | None
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    charge_id: int | None = None  # the pending Charge this line bills, if any

    @property
    def total(self) -> Decimal:
        return self.net_amount + self.tax_amount


@dataclass
class Draft:
    """A draft invoice for one subscription, and how far each item is now billed."""

    lines: list[DraftLine] = field(default_factory=list)
    billed_through: dict[tuple[str, int], dt.date] = field(default_factory=dict)
    next_bill_date: dt.date | None = None
    discount_cycles: dict[int, int] = field(default_factory=dict)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total


@lru_cache(maxsize=8192)
def _priced_period(
    name: str,
    monthly_price: Decimal,
    tax_rate: Decimal,
    quantity: Decimal,
    cycle_months: int,
    period: Period,
    currency: str,
    inclusive: bool = False,
) -> tuple[str, Decimal, Decimal, Decimal, Decimal]:
    """(description, quantity, unit price, net, tax) of one item's period.

    Cached: in a run most subscriptions share a plan and a period, so the
    arithmetic is done once per distinct combination.
    """
    period_price = monthly_price * cycle_months
    billed = quantity * period.fraction
    net, tax = split(period_price * billed, tax_rate, currency, inclusive)
    label = f"{name} {period.start:%d %b %Y} - {period.end:%d %b %Y}"
    if not period.is_full:
        label += f" (prorated {period.days}/{period.full_days} days)"
    if quantity != 1:
        label = f"{quantity.normalize()} x {label}"
    return label, billed.quantize(SIX_PLACES), period_price, net, tax


def recurring_line(
    item: RecurringItem, period: Period, currency: str, inclusive: bool = False
) -> DraftLine:
    """The line billing ``period`` of ``item``: prorated, rounded, taxed per line."""
    rate = item.rate_on(period.start)
    label, quantity, unit_price, net, tax = _priced_period(
        item.name,
        item.monthly_price,
        rate,
        item.quantity,
        item.cycle_months,
        period,
        currency,
        inclusive,
    )
    return DraftLine(
        kind=item.kind,
        ref=item.ref,
        description=label,
        period_start=period.start,
        period_end=period.end,
        quantity=quantity,
        unit_price=unit_price,
        net_amount=net,
        tax_rate=rate,
        tax_amount=tax,
    )


def discount_lines(
    draft: Draft, discounts: list[DiscountItem], currency: str, inclusive: bool = False
) -> None:
    """Append a negative line for every discounted period; count promotion cycles.

    Several discounts on one line (a promotion and a bundle) together take at
    most the line's amount: each is capped at what the earlier ones left, so
    no line is ever billed below zero.
    """
    recurring = [line for line in draft.lines if line.period_start is not None]
    left = {id(line): (line.total if inclusive else line.net_amount) for line in recurring}
    for discount in discounts:
        used = 0
        for line in recurring:
            if (line.kind, line.ref) not in discount.targets:
                continue
            if discount.start is not None and line.period_start < discount.start:  # type: ignore[operator]
                continue
            if discount.cycles_left is not None and used >= discount.cycles_left:
                break
            base = line.total if inclusive else line.net_amount
            if discount.discount_kind == "percent":
                amount = round_money(base * discount.value / 100, currency)
                label = f"{discount.value.normalize()} % off"
            else:
                # per unit and full period, prorated like the line it discounts
                amount = round_money(discount.value * line.quantity, currency)
                label = f"{discount.value.normalize()} off"
            amount = min(amount, left[id(line)])
            if amount <= ZERO:
                continue
            left[id(line)] -= amount
            used += 1
            net, tax = split(amount, line.tax_rate, currency, inclusive)
            draft.lines.append(
                DraftLine(
                    kind="discount",
                    ref=discount.ref,
                    description=f"{discount.name}: {label} {line.description}",
                    period_start=None,
                    period_end=None,
                    quantity=Decimal(1),
                    unit_price=-amount,
                    net_amount=-net,
                    tax_rate=line.tax_rate,
                    tax_amount=-tax,
                )
            )
        if used and discount.cycles_left is not None:
            draft.discount_cycles[discount.ref] = used


def compute(
    *,
    items: list[RecurringItem],
    charges: list[OneTimeItem],
    billing_day: int,
    as_of: dt.date,
    currency: str,
    discounts: list[DiscountItem] | None = None,
    inclusive: bool = False,
    rounding: str = "line",
) -> Draft:
    """Everything due on ``as_of``: each item's due periods, discounts, then
    pending charges; taxed per ``billing.tax`` (``inclusive`` prices,
    ``rounding`` per "line" or per "invoice").

    ``next_bill_date`` of the result is the earliest date an item becomes
    due again (None when every item has ended).
    """
    draft = Draft()
    upcoming: list[dt.date] = []
    for item in items:
        through = item.billed_through
        for period in periods_due(
            service_start=item.start,
            billing_day=billing_day,
            as_of=as_of,
            billed_through=through,
            service_end=item.end,
            cycle_months=item.cycle_months,
            timing=item.timing,
        ):
            draft.lines.append(recurring_line(item, period, currency, inclusive))
            through = period.end
        if through != item.billed_through and through is not None:
            draft.billed_through[(item.kind, item.ref)] = through
        start = through + ONE_DAY if through else item.start
        if item.end is None or start <= item.end:
            due = first_due_date(start, billing_day, item.cycle_months, item.timing)
            if item.end is not None and item.timing != "advance":
                due = min(due, item.end + ONE_DAY)
            upcoming.append(due)
    if discounts:
        discount_lines(draft, discounts, currency, inclusive)
    for charge in charges:
        net, tax = split(charge.amount, charge.tax_rate, currency, inclusive)
        draft.lines.append(
            DraftLine(
                kind=charge.kind,
                ref=charge.ref,
                description=charge.description,
                period_start=charge.period_start,
                period_end=charge.period_end,
                quantity=Decimal(1),
                unit_price=charge.amount,
                net_amount=net,
                tax_rate=charge.tax_rate,
                tax_amount=tax,
                charge_id=charge.ref,
            )
        )
    if rounding == "invoice" and draft.lines:
        draft.lines = retax_per_invoice(draft.lines, currency, inclusive)
    draft.next_bill_date = min(upcoming) if upcoming else None
    return draft
