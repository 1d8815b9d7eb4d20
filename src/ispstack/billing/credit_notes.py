"""Credit notes: the only way to correct an issued invoice.

An issued invoice never changes (EU VAT directive art. 219: a document
amending an invoice is itself an invoice). To take back all or part of it,
a credit note names the invoice lines it credits and by how much (net; the
tax follows at the line's rate). A line can't be credited beyond what it
charged, over all credit notes together. The credit note is numbered
``CN-YYYY-NNNNN`` (tenant format, gap-free) and, once issued, pays down the
corrected invoice first; the rest becomes the customer's credit
(``payments`` allocates it on the ``credit_note.issued`` event).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from ispstack.billing.events import CreditNoteIssued
from ispstack.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceStatus
from ispstack.billing.selectors import settings_for
from ispstack.core import audit, clock, events, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.core.money import ZERO, parse_amount, round_money, tax_for
from ispstack.core.numbering import next_number

CREDITABLE = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
# Product default: a correction names lines of one invoice; a request naming
# more than this is no clerk's input.
MAX_CREDIT_LINES = 500


@transaction.atomic
def create_credit_note(
    *,
    invoice: Invoice,
    reason: str,
    lines: list[dict[str, Any]] | None = None,
    issue_date: dt.date | None = None,
    actor: Any = None,
) -> CreditNote:
    """Credit an issued invoice, fully (``lines`` None) or partly.

    ``lines``: ``[{"line": <invoice line id>, "amount": "<net to credit>"}]``,
    with ``"period": (first day, last day)`` when the amount takes back
    billed service days (``billing.proration``); a line may be named more
    than once, together never beyond what it has left. A full credit note
    credits what every line still has; a partial one crediting a line's
    whole remainder also takes its remaining tax, so the sum of credit
    notes never drifts from the invoice by a cent. Raises
    InvalidInput (reason missing, amount too high, nothing left),
    InvalidTransition (draft or void invoice), NotFound (line of another
    invoice).
    """
    reason = inputs.text(reason, "reason", max_length=inputs.TEXT_MAX_LENGTH)
    if not reason:
        raise InvalidInput("a reason is required for a credit note", field="reason")
    if issue_date is not None:
        issue_date = inputs.day(issue_date, "issue_date")
    invoice = Invoice.objects.select_for_update().select_related("tenant").get(pk=invoice.pk)
    if invoice.status not in CREDITABLE:
        raise InvalidTransition(f"cannot credit a {invoice.status} invoice", field="invoice")
    tenant, currency = invoice.tenant, invoice.currency
    # What each line still has to credit, in the same query as the lines.
    invoice_lines: dict[int, InvoiceLine] = {
        line.pk: line
        for line in invoice.lines.annotate(
            credited_net=Coalesce(Sum("credit_lines__net_amount"), ZERO),
            credited_tax=Coalesce(Sum("credit_lines__tax_amount"), ZERO),
        )
    }
    wanted: list[tuple[InvoiceLine, Decimal | None, tuple[dt.date, dt.date] | None]]
    if lines is None:
        wanted = [(line, None, None) for line in invoice_lines.values()]
    else:
        if not lines:
            raise InvalidInput("name at least one line to credit", field="lines")
        wanted = []
        for n, item in enumerate(lines):
            line = invoice_lines.get(_line_id(item.get("line"), f"lines[{n}].line"))
            if line is None:
                raise NotFound(
                    f"line {item.get('line')} is not on invoice {invoice}", field=f"lines[{n}].line"
                )
            wanted.append(
                (
                    line,
                    parse_amount(
                        item.get("amount"), currency, field=f"lines[{n}].amount", allow_zero=False
                    ),
                    item.get("period"),
                )
            )
    # What each line has left, lowered as this note credits it.
    left = {
        pk: (line.net_amount - line.credited_net, line.tax_amount - line.credited_tax)  # type: ignore[attr-defined]
        for pk, line in invoice_lines.items()
    }
    credit_lines = []
    for n, (line, amount, period) in enumerate(wanted):
        net_left, tax_left = left[line.pk]
        if amount is None or amount == net_left:
            net, tax = net_left, tax_left
        elif amount > net_left:
            raise InvalidInput(
                f"only {round_money(net_left, currency)} of this line is left to credit",
                field=f"lines[{n}].amount",
            )
        else:
            net, tax = amount, tax_for(amount, line.tax_rate, currency)
        left[line.pk] = (net_left - net, tax_left - tax)
        if net > ZERO or tax > ZERO:
            credit_lines.append(
                CreditNoteLine(
                    tenant=tenant,
                    invoice_line=line,
                    description=(
                        f"{line.description}: {period[0]:%d %b %Y} - {period[1]:%d %b %Y} credited"
                        if period
                        else line.description
                    )[:300],
                    period_start=period[0] if period else None,
                    period_end=period[1] if period else None,
                    net_amount=net,
                    tax_rate=line.tax_rate,
                    tax_amount=tax,
                    total=net + tax,
                )
            )
    if not credit_lines:
        raise InvalidInput(f"invoice {invoice} has nothing left to credit", field="lines")
    day = issue_date or clock.today(tenant)
    subtotal = sum((c.net_amount for c in credit_lines), ZERO)
    tax_total = sum((c.tax_amount for c in credit_lines), ZERO)
    note = CreditNote.objects.create(
        tenant=tenant,
        customer_id=invoice.customer_id,
        invoice=invoice,
        number=next_number(
            tenant, "credit_note", day.year, settings_for(tenant).credit_note_number_format
        ),
        issue_date=day,
        reason=reason.strip(),
        currency=currency,
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        unallocated=subtotal + tax_total,
    )
    for credit_line in credit_lines:
        credit_line.credit_note = note
    CreditNoteLine.objects.bulk_create(credit_lines)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="credit_note.issue",
        obj=note,
        after={"invoice": invoice.number, "total": str(note.total)},
        reason=reason,
    )
    events.publish(
        CreditNoteIssued(
            tenant_id=tenant.pk,
            credit_note_id=note.pk,
            invoice_id=invoice.pk,
            customer_id=note.customer_id,
        )
    )
    outbox.enqueue(
        tenant=tenant, kind="billing.send_credit_note", payload={"credit_note_id": note.pk}
    )
    return note


def _line_id(value: Any, field: str) -> int:
    """The id of an invoice line given as the row (the API's input) or its id."""
    if isinstance(value, InvoiceLine):
        return value.pk
    return inputs.whole_number(value, field)
