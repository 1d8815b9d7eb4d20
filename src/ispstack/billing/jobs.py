"""Outbox handlers of billing: the documents go out after issue."""

from __future__ import annotations

from ispstack.billing.documents import document_pdf
from ispstack.billing.models import CreditNote, Invoice
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.services import Attachment, send_email


@handler("billing.send_invoice")
def send_invoice(job: Job) -> None:
    """Render and store an issued invoice's PDF and email it to the customer."""
    invoice = Invoice.objects.select_related("customer", "tenant").get(pk=job.payload["invoice_id"])
    customer = invoice.customer
    body = (
        f"Dear {customer.name},\n\n"
        f"please find attached invoice {invoice.number} of {invoice.issue_date:%Y-%m-%d} "
        f"for {round_money(invoice.total, invoice.currency)} {invoice.currency}, "
        f"due on {invoice.due_date:%Y-%m-%d}.\n"
        f"Your account number: {customer.account_number}.\n\n"
        f"{invoice.tenant.name}\n"
    )
    send_email(
        tenant=invoice.tenant,
        to=customer.email,
        subject=f"Invoice {invoice.number} from {invoice.tenant.name}",
        body=body,
        attachments=(
            Attachment(f"{invoice.number}.pdf", document_pdf(invoice), "application/pdf"),
        ),
        reference=f"invoice:{invoice.pk}",
    )


@handler("billing.send_credit_note")
def send_credit_note(job: Job) -> None:
    """Render and store a credit note's PDF and email it to the customer."""
    note = CreditNote.objects.select_related("customer", "tenant", "invoice").get(
        pk=job.payload["credit_note_id"]
    )
    body = (
        f"Dear {note.customer.name},\n\n"
        f"we have credited {round_money(note.total, note.currency)} {note.currency} on invoice "
        f"{note.invoice.number}: {note.reason}\n"
        f"Please find credit note {note.number} attached.\n\n{note.tenant.name}\n"
    )
    send_email(
        tenant=note.tenant,
        to=note.customer.email,
        subject=f"Credit note {note.number} from {note.tenant.name}",
        body=body,
        attachments=(Attachment(f"{note.number}.pdf", document_pdf(note), "application/pdf"),),
        reference=f"credit_note:{note.pk}",
    )
