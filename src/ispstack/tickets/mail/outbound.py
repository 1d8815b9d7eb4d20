"""Ticket replies by email: a public staff reply on a ticket goes to the
customer over SMTP through the outbox, threaded with the customer's mail.

The reply's Message-ID is made and recorded (``TicketEmail``) in the
transaction that adds the reply, so a retried send carries the same ID
(the customer's mail program shows it once) and the customer's answer,
whose ``In-Reply-To`` names it, finds the ticket again. The subject carries
the ticket number in square brackets for mail programs that drop those
headers.
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from django.conf import settings

from ispstack.core import outbox
from ispstack.core.models import Job
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import render_text, send_email
from ispstack.tickets.choices import MessageKind
from ispstack.tickets.events import TicketMessageAdded
from ispstack.tickets.models import MailDirection, SupportMailbox, TicketEmail, TicketMessage

JOB_KIND = "tickets.send_reply_email"
ACK_JOB_KIND = "tickets.send_acknowledgement"
# RFC 3834 5.2: the header of a response sent automatically to a mail.
AUTO_REPLIED = {"Auto-Submitted": "auto-replied"}
# Product default: enough of the conversation for every mail program to
# thread it, without a header growing with a long ticket (RFC 5322 3.6.4
# allows trimming References).
MAX_REFERENCES = 10


def recipient_of(ticket: Any) -> str:
    """Where replies on ``ticket`` go: the address that wrote in (its
    contact), else its customer's email; empty when it has neither."""
    if ticket.contact_email:
        return str(ticket.contact_email)
    if ticket.customer_id and ticket.customer.email:
        return str(ticket.customer.email)
    return ""


def mailbox_of(ticket: Any) -> SupportMailbox | None:
    """The support mailbox ``ticket``'s mail came through, else the tenant's
    first one; None when the tenant has none."""
    last_in = (
        TicketEmail.objects.filter(ticket=ticket, mailbox__isnull=False)
        .select_related("mailbox")
        .order_by("-id")
        .first()
    )
    if last_in is not None and last_in.mailbox is not None:
        return last_in.mailbox
    return SupportMailbox.objects.filter(tenant_id=ticket.tenant_id).order_by("id").first()


def subject_of(ticket: Any) -> str:
    """``[NUMBER] subject``: the number in brackets is how a reply without
    threading headers finds the ticket again."""
    return f"[{ticket.number}] {ticket.subject}"[:300]


def queue_reply(*, message: Any) -> TicketEmail | None:
    """Record and queue the email of the public reply ``message`` (a
    ``TicketMessage``) to the ticket's customer; sent after the caller's
    transaction commits, retried by the outbox when SMTP fails.

    Returns None (nothing sent) when the ticket has no address to write to.
    """
    ticket = message.ticket
    to = recipient_of(ticket)
    if not to:
        return None
    email = _record(ticket, to, message=message, mailbox=mailbox_of(ticket))
    outbox.enqueue(tenant=ticket.tenant_id, kind=JOB_KIND, payload={"email_id": email.pk})
    return email


def queue_acknowledgement(*, ticket: Any, mailbox: SupportMailbox | None) -> TicketEmail | None:
    """Record and queue the acknowledgement of a ticket opened by mail: the
    customer learns its number (the mail's subject, in brackets, so an
    answer finds it). Sent after the caller's transaction commits, retried
    by the outbox; None when the ticket has no address to write to.

    Call it only for a person's mail (``parsing.automatic_reason`` empty):
    answering an automatic mail is how mail loops start (RFC 3834 2)."""
    to = recipient_of(ticket)
    if not to:
        return None
    email = _record(ticket, to, message=None, mailbox=mailbox or mailbox_of(ticket))
    outbox.enqueue(tenant=ticket.tenant_id, kind=ACK_JOB_KIND, payload={"email_id": email.pk})
    return email


def _record(ticket: Any, to: str, *, message: Any, mailbox: SupportMailbox | None) -> TicketEmail:
    sender = (
        mailbox.support_address
        if mailbox is not None
        else (ticket.tenant.email or settings.DEFAULT_FROM_EMAIL)
    )
    domain = sender.rpartition("@")[2] or None
    return TicketEmail.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        ticket_message=message,
        mailbox=mailbox,
        direction=MailDirection.OUTBOUND,
        message_id=make_msgid(domain=domain),
        sender=sender,
        recipient=to,
        subject=subject_of(ticket),
    )


def email_staff_reply(event: TicketMessageAdded) -> None:
    """Subscriber of ``TicketMessageAdded`` (in the adding transaction): a
    public reply from staff is emailed to the customer (``queue_reply``);
    notes and the customer's own messages are not."""
    if event.kind != MessageKind.REPLY or not event.from_staff:
        return
    message = TicketMessage.objects.select_related("ticket__customer", "ticket__tenant").get(
        pk=event.message_id
    )
    queue_reply(message=message)


def threading_headers(email: TicketEmail) -> dict[str, str]:
    """``Message-ID`` of ``email`` and, when the customer wrote before, the
    ``In-Reply-To`` of their last mail and the ``References`` of the
    conversation so far, oldest first (RFC 5322 3.6.4)."""
    headers = {"Message-ID": email.message_id}
    earlier = list(
        TicketEmail.objects.filter(ticket_id=email.ticket_id, id__lt=email.pk)
        .order_by("-id")
        .values_list("message_id", "direction")[:MAX_REFERENCES]
    )
    last_in = next((mid for mid, kind in earlier if kind == MailDirection.INBOUND), None)
    if last_in:
        headers["In-Reply-To"] = last_in
    if earlier:
        headers["References"] = " ".join(mid for mid, _kind in reversed(earlier))
    return headers


@outbox.handler(JOB_KIND)
def deliver_reply(job: Job) -> None:
    """Send the email recorded by ``queue_reply`` (the outbox job)."""
    email = TicketEmail.objects.select_related("tenant", "ticket", "ticket_message").get(
        pk=job.payload["email_id"]
    )
    send_email(
        tenant=email.tenant,
        to=email.recipient,
        subject=email.subject,
        body=email.ticket_message.body if email.ticket_message is not None else "",
        reference=f"ticket:{email.ticket_id}",
        from_address=email.sender,
        headers=threading_headers(email),
        customer_id=email.ticket.customer_id,
        kind=NotificationKind.TICKET_REPLY,
    )


@outbox.handler(ACK_JOB_KIND)
def deliver_acknowledgement(job: Job) -> None:
    """Send the acknowledgement recorded by ``queue_acknowledgement`` (the
    outbox job), marked as an automatic reply, in the ticket's customer's
    language (a sender who is no customer: the language active). The
    subject is the mail's own, with the ticket number."""
    email = TicketEmail.objects.select_related("tenant", "ticket").get(pk=job.payload["email_id"])
    with in_language_of(email.ticket.customer_id):
        body = render_text(
            "tickets/email/acknowledgement.txt",
            {"number": email.ticket.number, "subject": email.ticket.subject},
        )
    send_email(
        tenant=email.tenant,
        to=email.recipient,
        subject=email.subject,
        body=body,
        reference=f"ticket:{email.ticket_id}",
        from_address=email.sender,
        headers={**threading_headers(email), **AUTO_REPLIED},
    )
