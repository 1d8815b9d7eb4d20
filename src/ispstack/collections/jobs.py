"""Outbox handlers of collections."""

from __future__ import annotations

from ispstack.billing.models import Invoice
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.services import send_email


@handler("collections.send_reminder")
def send_reminder(job: Job) -> None:
    """Email a payment reminder for an overdue invoice (a campaign's reminder
    step; ``suspend_on``: the day its suspension step is due, if it has one)."""
    invoice = Invoice.objects.select_related("customer", "tenant").get(pk=job.payload["invoice_id"])
    tenant, customer = invoice.tenant, invoice.customer
    due = round_money(invoice.amount_due, invoice.currency)
    suspend_on = job.payload.get("suspend_on")
    warning = f" Unless it is paid, service is suspended on {suspend_on}." if suspend_on else ""
    body = (
        f"Dear {customer.name},\n\n"
        f"our records show that invoice {invoice.number} of {invoice.issue_date:%Y-%m-%d} was due "
        f"on {invoice.due_date:%Y-%m-%d} and {due} {invoice.currency} is still open "
        f"({job.payload['days_past_due']} days past due).\n"
        f"Please pay with reference {invoice.number}.{warning}\n\n{tenant.name}\n"
    )
    send_email(
        tenant=tenant,
        to=customer.email,
        subject=f"Payment reminder: invoice {invoice.number}",
        body=body,
        reference=f"reminder:{invoice.pk}",
    )
