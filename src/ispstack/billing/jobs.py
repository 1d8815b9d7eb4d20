"""Outbox handlers of billing: the documents go out after issue."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispstack.billing.documents import document_pdf
from ispstack.billing.models import BillingRun, CreditNote, Invoice
from ispstack.billing.runner import run_billing
from ispstack.core import clock
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import Attachment, render_text, send_email


def send_invoice(invoice: Invoice) -> None:
    """Render and store an issued invoice's PDF and email it to the customer,
    the subject and text in the customer's language (the PDF, a stored
    legal document, stays as the tenant issues it)."""
    customer = invoice.customer
    pdf = document_pdf(invoice)
    with in_language_of(customer.pk):
        body = render_text(
            "billing/email/invoice.txt",
            {
                "customer": customer,
                "invoice": invoice,
                "tenant": invoice.tenant,
                "total": round_money(invoice.total, invoice.currency),
                "currency": invoice.currency,
            },
        )
        subject = _("Invoice %(number)s from %(tenant)s") % {
            "number": invoice.number,
            "tenant": invoice.tenant.name,
        }
    send_email(
        tenant=invoice.tenant,
        to=customer.email,
        subject=subject,
        body=body,
        attachments=(Attachment(f"{invoice.number}.pdf", pdf, "application/pdf"),),
        reference=f"invoice:{invoice.pk}",
        customer_id=customer.pk,
        kind=NotificationKind.INVOICE_ISSUED,
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
    """Render and store a credit note's PDF and email it to the customer in
    the customer's language (the PDF as the tenant issues it)."""
    note = CreditNote.objects.select_related("customer", "tenant", "invoice").get(
        pk=job.payload["credit_note_id"]
    )
    pdf = document_pdf(note)
    with in_language_of(note.customer_id):
        body = render_text(
            "billing/email/credit_note.txt",
            {
                "customer": note.customer,
                "note": note,
                "tenant": note.tenant,
                "total": round_money(note.total, note.currency),
                "currency": note.currency,
            },
        )
        subject = _("Credit note %(number)s from %(tenant)s") % {
            "number": note.number,
            "tenant": note.tenant.name,
        }
    send_email(
        tenant=note.tenant,
        to=note.customer.email,
        subject=subject,
        body=body,
        attachments=(Attachment(f"{note.number}.pdf", pdf, "application/pdf"),),
        reference=f"credit_note:{note.pk}",
    )


@handler("billing.run")
def perform_billing_run(job: Job) -> None:
    """Carry on a billing run queued by ``services.start_billing_run``.

    A run already done or failed is left alone (the job ran before); one
    that raises is marked failed with the error, which the console shows.
    """
    run = BillingRun.objects.select_related("tenant", "started_by").get(pk=job.payload["run_id"])
    if run.status in (BillingRun.Status.DONE, BillingRun.Status.FAILED):
        return
    try:
        run_billing(tenant=run.tenant, as_of=run.as_of, actor=run.started_by, run=run)
    except Exception as exc:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=clock.now(),
            updated_at=clock.now(),
        )
        raise
