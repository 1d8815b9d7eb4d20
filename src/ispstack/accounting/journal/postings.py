"""The posting rules: the legs of each business event, debit positive.

- Invoice issued: Dr receivable (gross); Cr deferred revenue (net of the
  recurring, add-on and proration lines), Cr revenue (net of the other
  lines, by line kind), Cr tax payable (per rate).
- Invoice voided: the reverse of its issue.
- Credit note: Dr deferred revenue or revenue (net, as the credited
  invoice line), Dr tax payable (per rate); Cr receivable (gross).
- Payment received: Dr bank (per method); Cr receivable.
- Payment reversed: Dr receivable; Cr bank (per method).
- Refund: Dr receivable; Cr the refund account (per method).

A negative amount (a discount line) lands on the other side of the same
account. The cents by which a document's total differs from its lines go
to the rounding account.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ispstack.accounting.chart import DEFERRED_KINDS, Chart, rate_key
from ispstack.accounting.journal.entries import Leg
from ispstack.accounting.models import PostingRole
from ispstack.billing.models import CreditNote, Invoice
from ispstack.core.money import ZERO
from ispstack.payments.models import Payment, Refund


def _revenue_role(kind: str) -> str:
    return PostingRole.DEFERRED_REVENUE if kind in DEFERRED_KINDS else PostingRole.REVENUE


def _document_legs(
    chart: Chart, total: Decimal, lines: Iterable[tuple[str, Decimal, Decimal, Decimal]]
) -> list[Leg]:
    """Legs crediting ``lines`` (kind, net, tax rate, tax) against a receivable
    debit of ``total``, the rounding difference to the rounding account."""
    legs: list[Leg] = [(chart.account(PostingRole.RECEIVABLE), total)]
    booked = ZERO
    for kind, net, rate, tax in lines:
        legs.append((chart.account(_revenue_role(kind), kind), -net))
        legs.append((chart.account(PostingRole.TAX_PAYABLE, rate_key(rate)), -tax))
        booked += net + tax
    if booked != total:
        legs.append((chart.account(PostingRole.ROUNDING), booked - total))
    return legs


def invoice_legs(chart: Chart, invoice: Invoice) -> list[Leg]:
    """Dr receivable (gross) / Cr deferred revenue or revenue (net, per line
    kind) / Cr tax payable (per rate). The invoice's ``lines`` should be
    prefetched."""
    return _document_legs(
        chart,
        invoice.total,
        ((ln.kind, ln.net_amount, ln.tax_rate, ln.tax_amount) for ln in invoice.lines.all()),
    )


def void_legs(chart: Chart, invoice: Invoice) -> list[Leg]:
    """The issue's legs reversed: a voided invoice never was a sale."""
    return [(account, -amount) for account, amount in invoice_legs(chart, invoice)]


def credit_note_legs(chart: Chart, note: CreditNote) -> list[Leg]:
    """Dr deferred revenue or revenue (as the credited invoice line's kind) /
    Dr tax payable / Cr receivable (gross). The note's ``lines`` with their
    ``invoice_line`` should be prefetched."""
    legs = _document_legs(
        chart,
        note.total,
        (
            (ln.invoice_line.kind, ln.net_amount, ln.tax_rate, ln.tax_amount)
            for ln in note.lines.all()
        ),
    )
    return [(account, -amount) for account, amount in legs]


def payment_legs(chart: Chart, payment: Payment) -> list[Leg]:
    """Dr bank (the payment method's account) / Cr receivable."""
    return [
        (chart.account(PostingRole.BANK, payment.method), payment.amount),
        (chart.account(PostingRole.RECEIVABLE), -payment.amount),
    ]


def reversal_legs(chart: Chart, payment: Payment) -> list[Leg]:
    """Dr receivable / Cr bank: the bank took the money back, the customer owes it again."""
    return [(account, -amount) for account, amount in payment_legs(chart, payment)]


def refund_legs(chart: Chart, refund: Refund) -> list[Leg]:
    """Dr receivable (the customer's credit is used up) / Cr the refund method's account."""
    return [
        (chart.account(PostingRole.RECEIVABLE), refund.amount),
        (chart.account(PostingRole.REFUND, refund.method), -refund.amount),
    ]
