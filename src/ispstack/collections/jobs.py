"""Outbox handlers of collections."""

from __future__ import annotations

from ispstack.billing.models import Invoice
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.services import send_email


@handler("collections.send_reminder")
def send_reminder(job: Job) -> None:
    """Email a payment reminder for an overdue invoice."""
    invoice = Invoice.objects.select_related("customer", "tenant").get(pk=job.payload["invoice_id"])
    tenant, customer = invoice.tenant, invoice.customer
    due = round_money(invoice.amount_due, invoice.currency)
    body = (
        f"Dear {customer.name},\n\n"
        f"our records show that invoice {invoice.number} of {invoice.issue_date:%Y-%m-%d} was due "
        f"on {invoice.due_date:%Y-%m-%d} and {due} {invoice.currency} is still open "
        f"({job.payload['days_past_due']} days past due).\n"
        f"Please pay with reference {invoice.number}. Service is suspended when an invoice is "
        f"more than {tenant.suspend_after_days} days past due.\n\n{tenant.name}\n"
    )
    send_email(
        tenant=tenant,
        to=customer.email,
        subject=f"Payment reminder: invoice {invoice.number}",
        body=body,
        reference=f"reminder:{invoice.pk}",
    )
