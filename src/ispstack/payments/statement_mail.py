"""Emailing a customer the statement of their account (opening balance,
documents, closing balance) as a PDF, through the outbox: the email leaves
after the request's transaction commits and is retried when the mail server
fails."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ispstack.core import audit, inputs, outbox
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.customers.models import Customer
from ispstack.notifications.language import in_language_of
from ispstack.notifications.services import Attachment, render_text, send_email
from ispstack.payments.documents import statement_pdf
from ispstack.payments.selectors import statement

JOB_KIND = "payments.send_statement"


@transaction.atomic
def send_statement(*, customer: Customer, start: Any, end: Any, actor: Any = None) -> Job:
    """Queue an email of the customer's statement from ``start`` to ``end``
    (dates or ``YYYY-MM-DD``, inclusive) to the customer's email address,
    audited as ``customer.send_statement``. Returns the outbox job.

    Raises InvalidInput naming ``start`` or ``end`` (not a date, out of range,
    start after end) or ``email`` (the customer has no address).
    """
    first = inputs.day(start, "start")
    last = inputs.day(end, "end")
    if first > last:
        raise InvalidInput("must not be after the end date", field="start")
    if not customer.email:
        raise InvalidInput("the customer has no email address", field="email")
    audit.record(
        tenant=customer.tenant,
        actor=actor,
        action="customer.send_statement",
        obj=customer,
        after={"start": str(first), "end": str(last), "to": customer.email},
    )
    return outbox.enqueue(
        tenant=customer.tenant,
        kind=JOB_KIND,
        payload={"customer_id": customer.pk, "start": str(first), "end": str(last)},
    )


@outbox.handler(JOB_KIND)
def deliver_statement(job: Job) -> None:
    """Render the statement PDF and email it (``send_statement``'s job)."""
    customer = Customer.objects.select_related("tenant").get(pk=job.payload["customer_id"])
    start = dt.date.fromisoformat(job.payload["start"])
    end = dt.date.fromisoformat(job.payload["end"])
    account = statement(customer, start, end)
    with in_language_of(customer.pk):
        body = render_text(
            "payments/email/statement.txt",
            {
                "customer": customer,
                "tenant": customer.tenant,
                "start": start,
                "end": end,
                "closing": round_money(account.closing_balance, account.currency),
                "currency": account.currency,
            },
        )
        subject = _("Statement of account %(account)s from %(tenant)s") % {
            "account": customer.account_number,
            "tenant": customer.tenant.name,
        }
    send_email(
        tenant=customer.tenant,
        to=customer.email,
        subject=subject,
        body=body,
        attachments=(
            Attachment(
                f"statement-{customer.account_number}-{end}.pdf",
                statement_pdf(account),
                "application/pdf",
            ),
        ),
        reference=f"statement:{customer.pk}:{start}:{end}",
    )
