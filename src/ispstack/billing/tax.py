"""Tax on invoice lines: exclusive or inclusive prices, rounding per line or
per invoice (tenant settings), the rule documented with ``core.money``.

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

from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ispstack.core.money import quantum, round_money, tax_for

if TYPE_CHECKING:
    from ispstack.billing.engine import DraftLine

HUNDRED = Decimal(100)


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
