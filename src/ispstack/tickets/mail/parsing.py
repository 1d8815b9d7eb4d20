"""Reading an inbound email (RFC 5322 / MIME bytes) into what a ticket needs:
who sent it, which conversation it belongs to, its text and its files.

The text is the ``text/plain`` body when the mail has one (RFC 2046 5.1.4:
the parts of ``multipart/alternative`` say the same thing, and plain text
cannot carry active content). A mail with only an HTML body keeps it,
sanitised with nh3 (Ammonia's allow-list: no ``<script>``, no ``on*`` event
handler attributes, no ``javascript:`` URLs), so the HTML is safe wherever
it is shown later.

A mail sent by a machine rather than a person (an out-of-office reply, a
bounce, a mailing list) is recognised by its headers (``automatic_reason``,
RFC 3834 and the de-facto headers of common responders), so that the
helpdesk never answers it automatically: two auto-responders answering each
other would loop forever.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses, parseaddr

import nh3

# A ticket number as it appears in a subject, in square brackets:
# "Re: [TCK-20251016-A3F2] No internet". Product default: any bracketed
# token of letters, digits and dashes, so a tenant's own number prefix works.
_SUBJECT_NUMBER = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9-]{2,48})\]")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailFile:
    """An attachment of an inbound mail: its file name, MIME type and bytes."""

    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.content)


@dataclass(frozen=True)
class InboundMail:
    """An inbound email reduced to what a ticket needs.

    ``message_id`` is the ``Message-ID`` header with its angle brackets
    (RFC 5322 3.6.4), or a stable one made from a SHA-256 of the raw bytes
    when the sender gave none, so the same mail is recognised when fetched
    again. ``references`` lists ``In-Reply-To`` first, then ``References``
    newest first. ``body`` is plain text, or sanitised HTML when
    ``body_is_html``. ``automatic`` says why the mail was sent by a machine
    (``automatic_reason``), empty for a person's mail.
    """

    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    body_is_html: bool
    references: list[str] = field(default_factory=list)
    files: list[MailFile] = field(default_factory=list)
    automatic: str = ""

    def ticket_numbers(self) -> list[str]:
        """Bracketed ticket numbers in the subject, first first."""
        return _SUBJECT_NUMBER.findall(self.subject)


def storable(text: str) -> str:
    """``text`` without what PostgreSQL text cannot hold (NUL characters,
    lone surrogates from undecodable bytes), which a hostile or broken mail
    may carry."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def sanitise_html(html: str) -> str:
    """``html`` with everything active removed (scripts and their content,
    event handler attributes, ``javascript:`` and other non-web URLs), by
    nh3's default allow-list."""
    return nh3.clean(html)


def _message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def parse(raw: bytes) -> InboundMail:
    """Parse one mail as fetched from the server (``RFC822`` bytes).

    Never raises on a malformed mail: missing headers become empty strings,
    undecodable text is decoded with replacement characters.
    """
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    ids = _message_ids(str(message.get("Message-ID", "")))
    message_id = (
        storable(ids[0]) if ids else f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
    )
    name, address = parseaddr(str(message.get("From", "")))
    if not address:
        senders = getaddresses([str(message.get("Sender", ""))])
        name, address = senders[0] if senders else ("", "")
    references = _message_ids(str(message.get("In-Reply-To", "")))
    references += reversed(_message_ids(str(message.get("References", ""))))
    body, is_html = _body(message)
    return InboundMail(
        message_id=message_id[:250],
        sender=storable(address).strip().lower()[:254],
        sender_name=storable(name).strip()[:200],
        subject=storable(" ".join(str(message.get("Subject", "")).split()))[:300],
        references=[storable(r) for r in dict.fromkeys(references)],
        body=body,
        body_is_html=is_html,
        files=_files(message),
        automatic=automatic_reason(message, address),
    )


# Precedence values of bulk and automatic mail (RFC 3834 2: "bulk", "junk"
# and "list" mail is not to be answered; "auto_reply" is what some
# responders put on their own replies).
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Local parts of the addresses that send bounces and delivery reports
# (RFC 5321 4.5.1 postmaster, the MAILER-DAEMON of sendmail-style MTAs).
_DAEMON_LOCAL_PARTS = {"mailer-daemon", "postmaster"}


def automatic_reason(message: EmailMessage, sender: str) -> str:
    """Why ``message`` was sent by a machine, empty when a person sent it:

    - ``Auto-Submitted`` other than ``no`` (RFC 3834 5);
    - ``X-Autoreply`` / ``X-Autorespond`` (set by common vacation
      responders that predate RFC 3834);
    - ``Precedence: bulk | junk | list | auto_reply``;
    - a ``List-Id`` (RFC 2919: a mailing list);
    - sent by ``MAILER-DAEMON`` or ``postmaster``, or an empty
      ``Return-Path`` (a bounce, RFC 5321 4.5.5);
    - a ``multipart/report`` (delivery status notification, RFC 6522).
    """
    auto_submitted = str(message.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            return name
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get("List-Id") is not None:
        return "List-Id"
    if sender.partition("@")[0].lower() in _DAEMON_LOCAL_PARTS:
        return f"sent by {sender.partition('@')[0]}"
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return "empty Return-Path"
    if message.get_content_type() == "multipart/report":
        return "multipart/report"
    return ""


def _text_of(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body(message: EmailMessage) -> tuple[str, bool]:
    """The text and whether it is (sanitised) HTML."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return storable(_text_of(plain)).strip(), False
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return sanitise_html(storable(_text_of(html))).strip(), True
    return "", False


def _files(message: EmailMessage) -> list[MailFile]:
    files = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        files.append(
            MailFile(
                filename=storable(part.get_filename() or "attachment")[:200],
                content_type=part.get_content_type(),
                content=payload,
            )
        )
    return files
