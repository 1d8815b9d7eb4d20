"""Outbox handlers of collections."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispstack.billing.models import Invoice
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.services import render_text, send_email


@handler("collections.send_reminder")
def send_reminder(job: Job) -> None:
    """Email a payment reminder for an overdue invoice (a campaign's reminder
    step; ``suspend_on``: the day its suspension step is due, if it has one)."""
    invoice = Invoice.objects.select_related("customer", "tenant").get(pk=job.payload["invoice_id"])
    tenant, customer = invoice.tenant, invoice.customer
    body = render_text(
        "collections/email/reminder.txt",
        {
            "customer": customer,
            "invoice": invoice,
            "tenant": tenant,
            "due": round_money(invoice.amount_due, invoice.currency),
            "currency": invoice.currency,
            "days_past_due": job.payload["days_past_due"],
            "suspend_on": job.payload.get("suspend_on"),
        },
    )
    send_email(
        tenant=tenant,
        to=customer.email,
        subject=_("Payment reminder: invoice %(number)s") % {"number": invoice.number},
        body=body,
        reference=f"reminder:{invoice.pk}",
    )
