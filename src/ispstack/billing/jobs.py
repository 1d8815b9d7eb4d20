"""Outbox handlers of billing: external effects of issuing an invoice."""

from __future__ import annotations

from ispstack.billing.documents import invoice_pdf
from ispstack.billing.models import Invoice
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.services import Attachment, send_email


@handler("billing.send_invoice")
def send_invoice(job: Job) -> None:
    """Email an issued invoice to its customer with the PDF attached."""
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
        attachments=(Attachment(f"{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf"),),
        reference=f"invoice:{invoice.pk}",
    )
