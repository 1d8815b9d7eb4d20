"""The posting rules: the legs of each business event, debit positive.

- Invoice issued: Dr receivable (gross); Cr deferred revenue (net of the
  recurring, add-on and proration lines, of one-time charges whose revenue
  is spread over months, and of discounts that recognition allocates over
  service lines), Cr revenue (net of the other lines, by line kind; a
  contract's early termination fee to its own account, its downgrade fee
  and minimum commitment shortfall to the contract fees' account), Cr tax payable
  (per rate).
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

from django.db.models import Case, Exists, F, OuterRef, QuerySet, Value, When

from ispstack.accounting.chart import (
    CONTRACT_FEE,
    DEFERRED_KINDS,
    EARLY_TERMINATION,
    Chart,
    rate_key,
)
from ispstack.accounting.journal.entries import Leg
from ispstack.accounting.models import Account, ChargeRecognitionTerm, PostingRole
from ispstack.billing.models import CreditNote, Invoice, InvoiceLine, LineKind
from ispstack.core.money import ZERO
from ispstack.payments.models import Payment, Refund
from ispstack.sales.models import CommitmentShortfall, Contract, DowngradeFee


def posting_lines() -> QuerySet[InvoiceLine]:
    """Invoice lines with what their posting needs to know: ``spread`` (a
    one-time charge whose revenue a ``ChargeRecognitionTerm`` spreads over
    months: deferred at issue like a service), ``early_termination`` (the
    fee a contract's termination charged: its own revenue key),
    ``downgrade_fee`` and ``shortfall`` (the other fees a contract charged,
    ``DowngradeFee`` and ``CommitmentShortfall``: the contract fees' key) and
    ``allocated`` (a discount that revenue recognition shares over service
    lines of its invoice and subscription, ``recognition_sql.LINES_SQL``:
    deferred at issue with them, recognised as they are)."""
    services = InvoiceLine.objects.filter(
        invoice_id=OuterRef("invoice_id"),
        subscription_id=OuterRef("subscription_id"),
        kind__in=[LineKind.RECURRING, LineKind.ADDON],
        net_amount__gt=0,
        period_start__isnull=False,
        period_end__gte=F("period_start"),
    )
    return InvoiceLine.objects.annotate(
        spread=Exists(ChargeRecognitionTerm.objects.filter(charge_id=OuterRef("charge_id"))),
        early_termination=Exists(
            Contract.objects.filter(termination_charge_id=OuterRef("charge_id"))
        ),
        downgrade_fee=Exists(DowngradeFee.objects.filter(charge_id=OuterRef("charge_id"))),
        shortfall=Exists(CommitmentShortfall.objects.filter(charge_id=OuterRef("charge_id"))),
        allocated=Case(
            When(kind=LineKind.DISCOUNT, period_start__isnull=True, then=Exists(services)),
            default=Value(False),
        ),
    )


def line_account(chart: Chart, line: InvoiceLine) -> Account:
    """The revenue or deferred revenue account crediting ``line``'s net: its
    kind's, deferred for a service period, a spread charge or a discount
    allocated over service lines (ASC 606-10-32-36: a discount follows the
    obligations it is allocated to), the early termination fee's for a
    contract's fee (lines from ``posting_lines``)."""
    if (
        line.kind in DEFERRED_KINDS
        or getattr(line, "spread", False)
        or getattr(line, "allocated", False)
    ):
        return chart.account(PostingRole.DEFERRED_REVENUE, line.kind)
    if getattr(line, "early_termination", False):
        return chart.account(PostingRole.REVENUE, EARLY_TERMINATION)
    if getattr(line, "downgrade_fee", False) or getattr(line, "shortfall", False):
        mapped = chart.maps(PostingRole.REVENUE, CONTRACT_FEE)
        return chart.account(PostingRole.REVENUE, CONTRACT_FEE if mapped else line.kind)
    return chart.account(PostingRole.REVENUE, line.kind)


def _document_legs(
    chart: Chart, total: Decimal, lines: Iterable[tuple[Account, Decimal, Decimal, Decimal]]
) -> list[Leg]:
    """Legs crediting ``lines`` (account, net, tax rate, tax) against a
    receivable debit of ``total``, the rounding difference to the rounding
    account."""
    legs: list[Leg] = [(chart.account(PostingRole.RECEIVABLE), total)]
    booked = ZERO
    for account, net, rate, tax in lines:
        legs.append((account, -net))
        legs.append((chart.account(PostingRole.TAX_PAYABLE, rate_key(rate)), -tax))
        booked += net + tax
    if booked != total:
        legs.append((chart.account(PostingRole.ROUNDING), booked - total))
    return legs


def invoice_legs(chart: Chart, invoice: Invoice) -> list[Leg]:
    """Dr receivable (gross) / Cr deferred revenue or revenue (net, per line:
    ``line_account``) / Cr tax payable (per rate). The invoice's ``lines``
    should be prefetched from ``posting_lines``."""
    return _document_legs(
        chart,
        invoice.total,
        (
            (line_account(chart, ln), ln.net_amount, ln.tax_rate, ln.tax_amount)
            for ln in invoice.lines.all()
        ),
    )


def void_legs(chart: Chart, invoice: Invoice) -> list[Leg]:
    """The issue's legs reversed: a voided invoice never was a sale."""
    return [(account, -amount) for account, amount in invoice_legs(chart, invoice)]


def credit_note_legs(chart: Chart, note: CreditNote) -> list[Leg]:
    """Dr deferred revenue or revenue (the credited invoice line's account) /
    Dr tax payable / Cr receivable (gross). The note's ``lines`` with their
    ``invoice_line`` from ``posting_lines`` should be prefetched."""
    legs = _document_legs(
        chart,
        note.total,
        (
            (line_account(chart, ln.invoice_line), ln.net_amount, ln.tax_rate, ln.tax_amount)
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
