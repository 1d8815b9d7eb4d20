"""Email to ticket: polling the support mailboxes and turning each new mail
into a ticket or a customer reply on one.

Nothing is imported twice and nothing is lost:

- each mail is imported in its own transaction together with the mailbox's
  new ``last_uid``, so a crash leaves either both or neither;
- its Message-ID is recorded (``TicketEmail``, unique per tenant), so a mail
  fetched again (a UIDVALIDITY change makes every UID new, RFC 3501
  2.3.1.1) is recognised and skipped;
- a server that is down, refuses the login or drops the connection leaves
  the poll state where it was: the error is recorded on the mailbox and the
  next run starts from the same UID.

Which ticket a mail belongs to, first match wins:

1. ``In-Reply-To`` / ``References`` naming a mail of a ticket (one we sent
   or one we received), RFC 5322 3.6.4;
2. a ticket number in square brackets in the subject, when the sender is
   the ticket's customer or contact (a number alone is guessable, so a
   stranger cannot write into someone else's ticket with it);
3. otherwise a new ticket: for the customer whose email is the sender's,
   or, for an unknown sender, without a customer and with the sender's
   address as the contact (the unassigned queue; never dropped).

A reply to a resolved or closed ticket reopens it within the tenant's
reopen window (``TicketSettings.reopen_days`` after it was resolved);
after it, a new ticket refers to the old one (``follow_up_of``).

A person's mail that opens a ticket is acknowledged by mail with the
ticket's number (``outbound.queue_acknowledgement``). A mail sent by a
machine (``parsing.automatic_reason``: out-of-office replies, bounces,
mailing lists, RFC 3834) never is, so two auto-responders cannot loop; on a
ticket's thread it is kept as an internal note that changes nothing (an
absence notice neither reopens a resolved ticket nor answers a question);
elsewhere it opens a ticket like any mail (nothing is dropped), without the
acknowledgement. A tenant that answers in person switches acknowledgements
off (``TicketSettings.send_acknowledgements``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ispstack.core import clock, inputs
from ispstack.core.errors import ServiceError
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.tickets.mail import imap, outbound, parsing
from ispstack.tickets.models.mail import MailDirection, SupportMailbox, TicketEmail

logger = logging.getLogger(__name__)

# The longest ticket subject and message the tickets app stores (characters).
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = inputs.TEXT_MAX_LENGTH


@dataclass
class PollResult:
    """What one poll of one mailbox did: mails imported as new tickets or
    replies, mails skipped as already imported, and the error that stopped
    it (empty when it ran to the end)."""

    imported: int = 0
    duplicates: int = 0
    error: str = ""
    tickets: list[int] = field(default_factory=list)


def account_of(mailbox: SupportMailbox) -> imap.ImapAccount:
    """The IMAP login of ``mailbox``."""
    return imap.ImapAccount(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=mailbox.password,
        folder=mailbox.folder,
    )


def poll_mailbox(*, mailbox: SupportMailbox) -> PollResult:
    """Import every mail of ``mailbox`` not imported yet (see the module
    docstring). Never raises (a server down, a login refused, a mail that
    fails to import): the result and the mailbox's ``last_error`` carry
    the failure, and the next poll retries from the same UID."""
    result = PollResult()
    try:
        with imap.connect(account_of(mailbox)) as box:
            validity = imap.uidvalidity(box, mailbox.folder)
            if validity != mailbox.uidvalidity:
                # A new UIDVALIDITY invalidates every UID we knew (RFC 3501
                # 2.3.1.1): read the folder again from the start; Message-IDs
                # keep what was imported before from coming in twice.
                SupportMailbox.objects.filter(pk=mailbox.pk).update(
                    uidvalidity=validity, last_uid=0
                )
                mailbox.uidvalidity, mailbox.last_uid = validity, 0
            limit = _attachment_limit(mailbox.tenant)
            for uid in imap.new_uids(box, after=mailbox.last_uid):
                fetched = imap.fetch_bounded(box, uid, max_part_bytes=limit)
                try:
                    _import_uid(mailbox, validity, uid, fetched, result)
                except imap.IMAP_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - recorded; the poll stops at this mail
                    # Stop rather than skip: a mail must never be lost. The
                    # error names the UID, and the next run tries it again.
                    logger.exception("importing UID %s of mailbox %s failed", uid, mailbox.pk)
                    result.error = f"UID {uid}: {type(exc).__name__}: {exc}"[:1000]
                    break
    except imap.IMAP_ERRORS as exc:
        result.error = imap.describe(exc)
        logger.warning("polling mailbox %s failed: %s", mailbox.pk, result.error)
    except Exception as exc:  # noqa: BLE001 - one mailbox must not stop the others' polls
        # A server answering outside the protocol (no UIDVALIDITY, a bad
        # FETCH response): recorded like a server that is down.
        logger.exception("polling mailbox %s failed", mailbox.pk)
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
    _record_poll(mailbox, result)
    return result


def _import_uid(
    mailbox: SupportMailbox,
    validity: int,
    uid: int,
    fetched: imap.FetchedMail | None,
    result: PollResult,
) -> None:
    with transaction.atomic():
        state = (
            SupportMailbox.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .get(pk=mailbox.pk)
        )
        if state.uidvalidity != validity or state.last_uid >= uid:
            return  # a concurrent poll took this one
        if fetched is not None:
            email = import_mail(
                mailbox=state,
                raw=fetched.raw,
                uidvalidity=validity,
                uid=uid,
                skipped=fetched.skipped,
            )
            if email is None:
                result.duplicates += 1
            else:
                result.imported += 1
                result.tickets.append(email.ticket_id)
        state.last_uid = uid
        state.save(update_fields=["last_uid", "updated_at"])
        mailbox.last_uid = uid


def _attachment_limit(tenant: Tenant) -> int:
    from ispstack.tickets import selectors

    return int(selectors.settings_for(tenant).max_attachment_bytes)


def _acknowledges(tenant: Tenant) -> bool:
    from ispstack.tickets import selectors

    return bool(selectors.settings_for(tenant).send_acknowledgements)


def _record_poll(mailbox: SupportMailbox, result: PollResult) -> None:
    now = clock.now()
    if result.error:
        mailbox.last_error = result.error
        mailbox.consecutive_failures += 1
    else:
        mailbox.last_error = ""
        mailbox.consecutive_failures = 0
        mailbox.last_success_at = now
    mailbox.last_polled_at = now
    mailbox.save(
        update_fields=[
            "last_error",
            "consecutive_failures",
            "last_success_at",
            "last_polled_at",
            "updated_at",
        ]
    )


def poll_all() -> dict[int, PollResult]:
    """Poll every mailbox with polling enabled, of every tenant; returns the
    result per mailbox id (the periodic job)."""
    return {
        mailbox.pk: poll_mailbox(mailbox=mailbox)
        for mailbox in SupportMailbox.objects.filter(poll_enabled=True).select_related("tenant")
    }


def import_mail(
    *,
    mailbox: SupportMailbox,
    raw: bytes,
    uidvalidity: int | None = None,
    uid: int | None = None,
    skipped: Sequence[dict[str, Any]] = (),
) -> TicketEmail | None:
    """Turn one raw mail into a new ticket or a reply on one (see the module
    docstring) and record it; None when its Message-ID was imported before.
    ``skipped``: attachments left on the server as too large
    (``imap.FetchedMail.skipped``), named in the ticket's text and in
    ``refused_files`` like the attachments refused here.

    Runs in a savepoint: a mail that cannot be stored leaves nothing behind.
    """
    mail = parsing.parse(raw)
    tenant = mailbox.tenant
    if TicketEmail.objects.filter(tenant=tenant, message_id=mail.message_id).exists():
        return None
    try:
        with transaction.atomic():
            return _import(mailbox, tenant, mail, uidvalidity, uid, list(skipped))
    except IntegrityError:
        # The same Message-ID committed by a concurrent poll meanwhile.
        if TicketEmail.objects.filter(tenant=tenant, message_id=mail.message_id).exists():
            return None
        raise


def _import(
    mailbox: SupportMailbox,
    tenant: Tenant,
    mail: parsing.InboundMail,
    uidvalidity: int | None,
    uid: int | None,
    skipped: list[dict[str, Any]],
) -> TicketEmail:
    from ispstack.tickets import services
    from ispstack.tickets.choices import MessageKind, TicketSource

    accepted, refused = _check_files(tenant, mail)
    refused = skipped + refused
    body = _body_text(mail, refused)
    automatic = mail.automatic or _own_address(mailbox, mail.sender)
    ticket = _thread(tenant, mail)
    message: Any = None
    if ticket is not None and automatic:
        message = services.add_automatic_note(
            ticket=ticket,
            body=_("[Automatic mail (%(reason)s), not answered]") % {"reason": automatic}
            + "\n\n"
            + body[: BODY_MAX_LENGTH - 200],
            author_email=_valid_address(mail.sender),
        )
    elif ticket is not None:
        # The tickets service reopens a resolved or closed ticket within the
        # reopen window, or opens a follow-up ticket after it: the message's
        # ticket is the one the reply went to.
        message = services.add_message(
            ticket=ticket,
            kind=MessageKind.REPLY,
            body=body,
            author_email=_valid_address(mail.sender),
        )
        ticket = message.ticket
    else:
        customer = customer_for_sender(tenant, mail.sender)
        ticket = services.open_ticket(
            tenant=tenant,
            subject=mail.subject[:SUBJECT_MAX_LENGTH] or _("(no subject)"),
            description=body,
            customer=customer,
            contact_email="" if customer else _valid_address(mail.sender),
            source=TicketSource.EMAIL,
        )
    for item in accepted:
        services.add_attachment(
            ticket=ticket, message=message, upload=ContentFile(item.content, name=item.filename)
        )
    email = TicketEmail.objects.create(
        tenant=tenant,
        ticket=ticket,
        ticket_message=message,
        mailbox=mailbox,
        direction=MailDirection.INBOUND,
        message_id=mail.message_id,
        sender=mail.sender,
        recipient=mailbox.support_address,
        subject=mail.subject,
        uidvalidity=uidvalidity,
        uid=uid,
        refused_files=refused,
    )
    # A ticket grouped under an outage has had the outage's own reply.
    if message is None and not automatic and ticket.outage_id is None and _acknowledges(tenant):
        outbound.queue_acknowledgement(ticket=ticket, mailbox=mailbox)
    return email


def _own_address(mailbox: SupportMailbox, sender: str) -> str:
    """A reason when ``sender`` is the mailbox's own address: our own mail
    come back (a forward loop) is never answered."""
    if sender and sender == mailbox.support_address.lower():
        return "sent by the support address itself"
    return ""


def customer_for_sender(tenant: Tenant, address: str) -> Customer | None:
    """The tenant's customer whose email is ``address`` (case-insensitive),
    or None when there is none or more than one (an address shared by two
    accounts cannot say which one wrote)."""
    if not address:
        return None
    matches = list(Customer.objects.filter(tenant=tenant, email__iexact=address)[:2])
    return matches[0] if len(matches) == 1 else None


def _thread(tenant: Tenant, mail: parsing.InboundMail) -> Any:
    from ispstack.tickets.models import Ticket

    if mail.references:
        known = (
            TicketEmail.objects.filter(tenant=tenant, message_id__in=mail.references)
            .select_related("ticket")
            .order_by("-id")
            .first()
        )
        if known is not None:
            return known.ticket
    for number in mail.ticket_numbers():
        ticket = (
            Ticket.objects.filter(tenant=tenant, number__iexact=number)
            .select_related("customer")
            .first()
        )
        if ticket is not None and mail.sender in _ticket_addresses(ticket):
            return ticket
    return None


def _ticket_addresses(ticket: Any) -> set[str]:
    addresses = {ticket.contact_email.lower()} if ticket.contact_email else set()
    if ticket.customer is not None and ticket.customer.email:
        addresses.add(ticket.customer.email.lower())
    return addresses


def _body_text(mail: parsing.InboundMail, refused: list[dict[str, Any]]) -> str:
    """The mail's text as a ticket message: never empty, followed by a note
    naming each attachment not stored, cut to the longest message the
    tickets app stores (saying so)."""
    body = mail.body or _("(empty message)")
    notes = "\n".join(
        _("[Attachment not stored: %(name)s, %(size)s bytes: %(reason)s]")
        % {"name": r["filename"], "size": r["size"], "reason": r["reason"]}
        for r in refused
    )
    room = BODY_MAX_LENGTH - (len(notes) + 2 if notes else 0)
    if len(body) > room:
        cut = _("[... cut: the mail's text had %(n)s characters]") % {"n": len(body)}
        body = body[: max(room - len(cut) - 2, 0)] + "\n\n" + cut
    return f"{body}\n\n{notes}" if notes else body


def _valid_address(address: str) -> str:
    """``address`` when it is a valid email address, else empty (a broken
    From header must not stop the mail from becoming a ticket)."""
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def _check_files(
    tenant: Tenant, mail: parsing.InboundMail
) -> tuple[list[parsing.MailFile], list[dict[str, Any]]]:
    """The mail's files split into those the tickets app accepts (its size
    and type limits, ``tickets.attachments.check``) and the refused ones as
    ``{"filename", "size" (bytes), "reason"}``."""
    from ispstack.tickets import attachments, selectors

    conf = selectors.settings_for(tenant)
    accepted, refused = [], []
    for item in mail.files:
        try:
            attachments.check(
                ContentFile(item.content, name=item.filename),
                max_bytes=conf.max_attachment_bytes,
                allowed=conf.attachment_types,
            )
        except ServiceError as exc:
            refused.append({"filename": item.filename, "size": item.size, "reason": exc.message})
        else:
            accepted.append(item)
    return accepted, refused
