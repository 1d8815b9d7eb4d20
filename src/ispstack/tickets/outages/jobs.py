"""Outbox handlers of outages: the customers' notices (start, new expected
end, end) and the acknowledgement of a ticket grouped under an outage."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from ispstack.core import clock, outbox
from ispstack.core.models import Job, Tenant
from ispstack.customers.models import Customer
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import render_text, send_email
from ispstack.notifications.sms import send_sms
from ispstack.tickets.models import Outage, OutageImpact, OutageState, Ticket
from ispstack.tickets.outages import selectors
from ispstack.tickets.outages.grouping import ACK_JOB
from ispstack.tickets.outages.services import NOTICE_JOB

logger = logging.getLogger(__name__)

#: Customers told per job; the next batch is a new job (a retried job never
#: holds a worker's lease for long, and resends no batch already told).
BATCH = 200

#: The impact column stamped when its customer is told, per phase.
_STAMP = {"start": "notified_start_at", "end": "notified_end_at"}


def local_time(moment: dt.datetime | None, tenant: Tenant) -> str:
    """``moment`` as the tenant's wall-clock time, e.g. ``2026-05-01 14:00 CEST``."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M %Z")


def _context(outage: Outage, phase: str) -> dict[str, Any]:
    tenant = outage.tenant
    return {
        "tenant": tenant,
        "outage": outage,
        "phase": phase,
        "planned": outage.state == OutageState.PLANNED,
        "cancelled": outage.state == OutageState.CANCELLED,
        "cause": outage.get_cause_display(),
        "started": local_time(outage.started_at, tenant),
        "expected_end": local_time(outage.expected_end_at, tenant),
        "resolved": local_time(outage.resolved_at, tenant),
    }


def _subject(outage: Outage, phase: str) -> str:
    if phase == "end" and outage.state == OutageState.CANCELLED:
        return _("Planned maintenance cancelled (%(number)s)") % {"number": outage.number}
    if phase == "end":
        return _("Service restored (%(number)s)") % {"number": outage.number}
    if phase == "update":
        return _("Outage update (%(number)s)") % {"number": outage.number}
    if outage.state == OutageState.PLANNED:
        return _("Planned maintenance (%(number)s)") % {"number": outage.number}
    return _("Service interruption in your area (%(number)s)") % {"number": outage.number}


def _tell(customer: Customer, usernames: list[str], outage: Outage, phase: str) -> None:
    """Email the customer and, when the tenant sends SMS and the customer
    has a mobile number, text them. A failed SMS is logged (``SmsLog``)
    and does not stop the email notices of the others. Both are in the
    customer's language."""
    reference = f"outage:{outage.pk}:{phase}:{customer.pk}"
    with in_language_of(customer.pk):
        context = {**_context(outage, phase), "customer": customer, "usernames": usernames}
        subject = _subject(outage, phase)
        body = render_text("tickets/email/outage_notice.txt", context)
        texting = bool(customer.phone and settings.SMS_BACKEND)
        text = render_text("tickets/sms/outage_notice.txt", context) if texting else ""
    send_email(
        tenant=outage.tenant,
        to=customer.email,
        subject=subject,
        body=body,
        reference=reference,
        customer_id=customer.pk,
        kind=NotificationKind.OUTAGE,
    )
    if texting:
        try:
            send_sms(
                tenant=outage.tenant,
                to=customer.phone,
                text=text,
                reference=reference,
                customer_id=customer.pk,
                kind=NotificationKind.OUTAGE,
            )
        except Exception:  # noqa: BLE001 - logged in SmsLog; the email went out
            logger.warning("outage %s: SMS to customer %s failed", outage.number, customer.pk)


@outbox.handler(NOTICE_JOB)
def send_outage_notice(job: Job) -> None:
    """Tell the next ``BATCH`` customers hit by the outage about ``phase``
    (``start``, ``update``, ``end``), one message per customer naming their
    services, then queue the next batch. Start and end stamp each impact, so
    a retried job skips those told; ``update`` walks the customers by id
    from the payload's ``after``."""
    outage = Outage.objects.select_related("tenant").filter(pk=job.payload["outage_id"]).first()
    if outage is None:
        return
    phase = job.payload["phase"]
    # Batches still queued when the outage ended would announce it late,
    # after the customer was told it is over.
    if phase in ("start", "update") and outage.state not in selectors.OPEN:
        return
    after = job.payload.get("after", 0)
    impacts = OutageImpact.objects.filter(outage=outage, customer_id__gt=after)
    stamp = _STAMP.get(phase)
    if stamp:
        impacts = impacts.filter(**{f"{stamp}__isnull": True})
    customer_ids = list(
        impacts.order_by("customer_id").values_list("customer_id", flat=True).distinct()[:BATCH]
    )
    if not customer_ids:
        return
    services: dict[int, list[str]] = defaultdict(list)
    for customer_id, username in (
        impacts.filter(customer_id__in=customer_ids)
        .order_by("subscription__username")
        .values_list("customer_id", "subscription__username")
    ):
        services[customer_id].append(username)
    for customer in Customer.objects.filter(pk__in=customer_ids).order_by("pk"):
        _tell(customer, services[customer.pk], outage, phase)
        if stamp:
            impacts.filter(customer=customer).update(**{stamp: clock.now()})
    outbox.enqueue(
        tenant=outage.tenant_id,
        kind=NOTICE_JOB,
        payload={**job.payload, "after": customer_ids[-1]},
        defer_inline=True,
    )


@outbox.handler(ACK_JOB)
def acknowledge_grouped_ticket(job: Job) -> None:
    """Email the customer that their ticket is grouped under an outage being
    worked on, with its expected end, in the customer's language."""
    ticket = (
        Ticket.objects.select_related("tenant", "customer", "outage")
        .filter(pk=job.payload["ticket_id"])
        .first()
    )
    if ticket is None or ticket.outage is None:
        return
    to = ticket.contact_email or (ticket.customer.email if ticket.customer else "")
    if not to:
        return
    with in_language_of(ticket.customer_id):
        context = {**_context(ticket.outage, "ack"), "ticket": ticket, "customer": ticket.customer}
        subject = _("[%(number)s] A known outage: %(outage)s") % {
            "number": ticket.number,
            "outage": ticket.outage.number,
        }
        body = render_text("tickets/email/outage_ticket_ack.txt", context)
    send_email(
        tenant=ticket.tenant,
        to=to,
        subject=subject,
        body=body,
        reference=f"outage-ack:{ticket.pk}",
    )
