"""Outbox handlers of collections."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from ispstack.billing.models import Invoice
from ispstack.collections.models import CollectionRun
from ispstack.core import clock
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.language import in_language_of
from ispstack.notifications.services import render_text, send_email


@handler("collections.send_reminder")
def send_reminder(job: Job) -> None:
    """Email a payment reminder for an overdue invoice (a campaign's reminder
    step; ``suspend_on``: the day its suspension step is due, if it has one),
    in the customer's language."""
    invoice = Invoice.objects.select_related("customer", "tenant").get(pk=job.payload["invoice_id"])
    tenant, customer = invoice.tenant, invoice.customer
    suspend_on = job.payload.get("suspend_on")
    with in_language_of(customer.pk):
        body = render_text(
            "collections/email/reminder.txt",
            {
                "customer": customer,
                "invoice": invoice,
                "tenant": tenant,
                "due": round_money(invoice.amount_due, invoice.currency),
                "currency": invoice.currency,
                "days_past_due": job.payload["days_past_due"],
                "suspend_on": dt.date.fromisoformat(suspend_on) if suspend_on else None,
            },
        )
        subject = _("Payment reminder: invoice %(number)s") % {"number": invoice.number}
    send_email(
        tenant=tenant,
        to=customer.email,
        subject=subject,
        body=body,
        reference=f"reminder:{invoice.pk}",
    )


@handler("collections.run")
def perform_collections_run(job: Job) -> None:
    """Carry on a collections run queued by ``services.start_collections_run``;
    one already done or failed is left alone, one that raises is marked
    failed with the error."""
    from ispstack.collections.services import run_collections

    run = CollectionRun.objects.select_related("tenant").get(pk=job.payload["run_id"])
    if run.status in (CollectionRun.Status.DONE, CollectionRun.Status.FAILED):
        return
    try:
        run_collections(tenant=run.tenant, as_of=run.as_of, run=run)
    except Exception as exc:
        CollectionRun.objects.filter(pk=run.pk).update(
            status=CollectionRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=clock.now(),
            updated_at=clock.now(),
        )
        raise
