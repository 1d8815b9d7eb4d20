"""Tax: which rate applies, and tax on invoice lines (exclusive or inclusive
prices, rounding per line or per invoice: tenant settings, the rule
documented with ``core.money``).

Which rate (``TaxTable.rate``, the one rule for invoices, proration charges
and so credit notes, which credit at the rate of the line they correct):

- a tax-exempt customer pays none;
- otherwise the rate of the product's tax class for the customer's region
  (ISO 3166 country of the service address, else of the billing address:
  the place of supply of a fixed-line service is where it is delivered,
  EU VAT directive art. 24(2) and 45) valid on the first day of the billed
  days; a region's own rates before the class's general ones;
- when no dated or regional rate of the class applies, the rate the product
  names.

How much:

- Exclusive prices (the default): a line's net is its rounded amount and
  its tax is computed from that net (``core.money.tax_for``).
- Inclusive prices: a line's rounded amount is its gross; its tax is
  ``gross x rate / (100 + rate)`` rounded, and its net is what remains, so
  net + tax always equals the price the customer saw.
- Rounding per line (default): as above, every line rounded on its own.
- Rounding per invoice: the tax of each rate is computed once on the sum of
  that rate's lines and rounded once; it is then spread over the lines by
  largest remainder, so the lines still add up to the totals exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ispstack.core.money import ZERO, quantum, round_money, tax_for

if TYPE_CHECKING:
    from ispstack.billing.engine import DraftLine
    from ispstack.catalog.models import TaxRate
    from ispstack.core.models import Tenant
    from ispstack.customers.models import Customer

HUNDRED = Decimal(100)

#: A rate and the days it is valid (``None``: open-ended), both inclusive.
Window = tuple[dt.date | None, dt.date | None, Decimal]


def rate_on(windows: tuple[Window, ...], day: dt.date, default: Decimal) -> Decimal:
    """The rate of the first window valid on ``day``, else ``default`` (percent)."""
    for valid_from, valid_to, rate in windows:
        if (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to):
            return rate
    return default


def tax_region(service_country: str, billing_country: str) -> str:
    """The region whose rates apply: the service address's country, else the billing one's."""
    return service_country or billing_country or ""


class TaxTable:
    """A tenant's tax rates, read once (per billing chunk, per proration):
    the rate windows of a tax class for a region, region-specific ones first.

    ``rows`` are (tax class, region, valid from, valid to, rate). A general
    undated rate is never a window: a class may hold several (a product
    names the one it is taxed at), so it is only ever a product's default.
    """

    def __init__(
        self,
        rows: list[tuple[str, str, dt.date | None, dt.date | None, Decimal]],
        tenant_settings: tuple[bool, str] = (False, "line"),
    ):
        self.rows = rows
        self.tenant_settings = tenant_settings
        self._cache: dict[tuple[str, str], tuple[Window, ...]] = {}

    @classmethod
    def load(cls, tenant: Tenant) -> TaxTable:
        """The tenant's rates and its price/rounding settings, in one query."""
        from ispstack.billing.selectors import settings_for
        from ispstack.catalog.models import TaxRate

        rows = (
            TaxRate.objects.filter(tenant=tenant)
            .exclude(valid_from__isnull=True, valid_to__isnull=True, region="")
            .values_list("tax_class", "region", "valid_from", "valid_to", "rate")
        )
        terms = settings_for(tenant)
        return cls(list(rows), (terms.prices_include_tax, terms.tax_rounding))

    def windows(self, tax_class: str, region: str) -> tuple[Window, ...]:
        """The dated and regional rates of ``tax_class`` that may apply in ``region``."""
        key = (tax_class, region)
        if key not in self._cache:
            specific = [(f, t, r) for c, g, f, t, r in self.rows if c == tax_class and g == region]
            general = [(f, t, r) for c, g, f, t, r in self.rows if c == tax_class and not g]
            self._cache[key] = tuple(specific + general)
        return self._cache[key]

    def schedule(
        self, *, tax_class: str, default: Decimal, region: str, exempt: bool
    ) -> tuple[Decimal, tuple[Window, ...]]:
        """(default rate, windows) of a product of ``tax_class`` taxed by
        default at ``default`` percent, for a customer in ``region``: what
        ``rate_on`` needs to date the rate of any day. Exempt: (0, ())."""
        if exempt:
            return ZERO, ()
        return default, self.windows(tax_class, region)

    def rate(
        self, *, tax_class: str, default: Decimal, region: str, exempt: bool, on: dt.date
    ) -> Decimal:
        """The rate in percent for days from ``on`` (see ``schedule``)."""
        rate, windows = self.schedule(
            tax_class=tax_class, default=default, region=region, exempt=exempt
        )
        return rate_on(windows, on, rate)


def split(
    amount: Decimal, rate: Decimal, currency: str, inclusive: bool
) -> tuple[Decimal, Decimal]:
    """(net, tax) of an unrounded price ``amount`` at ``rate`` percent, rounded."""
    if inclusive:
        gross = round_money(amount, currency)
        tax = round_money(gross * rate / (HUNDRED + rate), currency)
        return gross - tax, tax
    net = round_money(amount, currency)
    return net, tax_for(net, rate, currency)


def _exact_tax(line: DraftLine, inclusive: bool) -> Decimal:
    if inclusive:
        return line.total * line.tax_rate / (HUNDRED + line.tax_rate)
    return line.net_amount * line.tax_rate / HUNDRED


def retax_per_invoice(lines: list[DraftLine], currency: str, inclusive: bool) -> list[DraftLine]:
    """Lines whose tax is the invoice-level tax of their rate, spread by largest remainder."""
    unit = quantum(currency)
    groups: dict[Decimal, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        groups[line.tax_rate].append(index)
    result = list(lines)
    for indexes in groups.values():
        exact = [_exact_tax(lines[i], inclusive) for i in indexes]
        target = round_money(sum(exact, Decimal(0)), currency)
        floors = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
        left = int((target - sum(floors, Decimal(0))) / unit)
        order = sorted(range(len(indexes)), key=lambda k: exact[k] - floors[k], reverse=left >= 0)
        taxes = list(floors)
        step = unit if left >= 0 else -unit
        for k in order[: abs(left)]:
            taxes[k] += step
        for k, i in enumerate(indexes):
            line = lines[i]
            if inclusive:
                result[i] = replace(line, net_amount=line.total - taxes[k], tax_amount=taxes[k])
            else:
                result[i] = replace(line, tax_amount=taxes[k])
    return result


def tax_rate_for(*, customer: Customer, product_rate: TaxRate, on: dt.date) -> Decimal:
    """The rate in percent that the billing run applies to ``customer`` for
    days from ``on`` of a product taxed at ``product_rate`` (its class and
    default rate); see the module's rule."""
    return TaxTable.load(customer.tenant).rate(
        tax_class=product_rate.tax_class,
        default=product_rate.rate,
        region=tax_region(customer.service_country, customer.billing_country),
        exempt=customer.tax_exempt,
        on=on,
    )
