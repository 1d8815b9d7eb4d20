"""Outbox handlers of billing: the documents go out after issue."""

from __future__ import annotations

from ispstack.billing.documents import document_pdf
from ispstack.billing.models import CreditNote, Invoice
from ispstack.core import clock
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.services import Attachment, send_email


def send_invoice(invoice: Invoice) -> None:
    """Render and store an issued invoice's PDF and email it to the customer."""
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


@handler("billing.send_invoices")
def send_invoices(job: Job) -> None:
    """Email each listed invoice not sent yet; a retry never sends one twice.

    One failing address does not stop the others; the job fails (and is
    retried with backoff) naming the invoices that could not be sent.
    """
    pending = Invoice.objects.filter(pk__in=job.payload["invoice_ids"], sent_at__isnull=True)
    failed = []
    for invoice in pending.select_related("customer", "tenant").order_by("pk"):
        try:
            send_invoice(invoice)
        except Exception as exc:  # noqa: BLE001 - logged per invoice, retried by the job
            failed.append(f"{invoice.number}: {type(exc).__name__}: {exc}")
            continue
        Invoice.objects.filter(pk=invoice.pk).update(sent_at=clock.now())
    if failed:
        raise RuntimeError(f"{len(failed)} invoice emails failed: " + "; ".join(failed[:5]))


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
