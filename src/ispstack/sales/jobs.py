"""Outbox handlers of sales: a sent quote's email and a contract's renewal
reminder go out after commit, in the customer's language
(``notifications.language``)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from ispstack.core.models import Job
from ispstack.core.money import round_money
from ispstack.core.outbox import handler
from ispstack.notifications.language import in_language_of
from ispstack.notifications.services import Attachment, render_text, send_email
from ispstack.sales.contracts.renewals import REMINDER_JOB
from ispstack.sales.documents import quote_pdf
from ispstack.sales.models import Contract, Quote


@handler("sales.send_quote")
def send_quote_email(job: Job) -> None:
    """Email a sent quote with its PDF and its accept link
    (``payload["base_url"]`` + ``/quote/<token>/``). A quote revised or
    answered since it was queued is still the one the customer was promised,
    so it goes out as queued; the link then says what became of it."""
    quote = Quote.objects.select_related("tenant", "customer", "lead").get(
        pk=job.payload["quote_id"]
    )
    link = job.payload["base_url"] + reverse("sales-quote-public", args=[quote.token])
    currency = quote.currency
    # In the customer's language (a lead or prospect has none: the language
    # active, as for every mail without a customer).
    with in_language_of(quote.customer_id):
        body = render_text(
            "sales/email/quote.txt",
            {
                "name": quote.recipient_name,
                "quote": quote,
                "tenant": quote.tenant,
                "currency": currency,
                "recurring": round_money(quote.recurring_total, currency),
                "one_time": round_money(quote.one_time_total, currency),
                "total": round_money(quote.total, currency),
                "link": link,
            },
        )
        filename = f"{quote.number}-v{quote.version}.pdf"
        send_email(
            tenant=quote.tenant,
            to=quote.recipient_email,
            subject=_("Quote %(number)s from %(tenant)s")
            % {"number": quote.number, "tenant": quote.tenant.name},
            body=body,
            attachments=(Attachment(filename, quote_pdf(quote), "application/pdf"),),
            reference=f"quote:{quote.pk}",
            customer_id=quote.customer_id,
        )


@handler(REMINDER_JOB)
def send_contract_reminder(job: Job) -> None:
    """Email the customer that ``payload["end_date"]``, the end of its
    contract's term, approaches, with the notice deadline
    (``renewals.notice_deadline``). The mail speaks of the term it was queued
    for, even when a renewal has moved the contract on since."""
    contract = Contract.objects.select_related("tenant", "customer").get(
        pk=job.payload["contract_id"]
    )
    end_date = dt.date.fromisoformat(job.payload["end_date"])
    with in_language_of(contract.customer_id):
        body = render_text(
            "sales/email/contract_reminder.txt",
            {
                "name": contract.customer.name,
                "contract": contract,
                "tenant": contract.tenant,
                "end_date": end_date,
                "deadline": end_date - dt.timedelta(days=contract.notice_days),
            },
        )
        send_email(
            tenant=contract.tenant,
            to=contract.customer.email,
            subject=_("Your contract %(number)s runs until %(end)s")
            % {"number": contract.number, "end": f"{end_date:%Y-%m-%d}"},
            body=body,
            reference=f"contract:{contract.pk}:{end_date.isoformat()}",
            customer_id=contract.customer_id,
        )
