"""Reading new mail from an IMAP mailbox (RFC 3501) with imap-tools.

New mail is found by UID, not by the ``\\Seen`` flag: a person reading the
support mailbox in a mail client must not hide mail from the poller. UIDs
only mean something together with the folder's UIDVALIDITY (RFC 3501
2.3.1.1); when it changes, every UID is new and the caller starts over.

A mail is never read whole when it is large: its size (``RFC822.SIZE``) and
MIME structure (``BODYSTRUCTURE``, RFC 3501 7.4.2) come first, and a mail
above the limit is read part by part (``BODY.PEEK[section]``), leaving out
every part too large to be stored, so a 60 MB attachment never sits in
memory. The mail handed on is rebuilt from the headers and the parts read,
and the parts left out are listed with their name and size.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imap_tools import A, MailBox, MailBoxStartTls, MailBoxUnencrypted, U
from imap_tools.errors import ImapToolsError

from ispstack.tickets.mail.bodystructure import MimePart, parse_response, parse_structure

# Product default: long enough for a slow server, short enough that one dead
# mailbox does not hold up the periodic job for the other tenants.
TIMEOUT_SECONDS = 30

# What a down, unreachable or misconfigured server raises through imap-tools.
IMAP_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, DNS failure, timeout (socket.timeout is OSError)
    ssl.SSLError,
    imaplib.IMAP4.error,
    ImapToolsError,
)


# Product default: a mail up to this much above the attachment limit (its
# text, headers and base64's third more) is read whole in one FETCH.
WHOLE_MAIL_MARGIN_BYTES = 1024 * 1024
# How much of an oversized text body is read (bytes): more than the longest
# message a ticket stores, so the stored text is cut there, not here.
TEXT_PREFIX_BYTES = 256 * 1024


@dataclass(frozen=True)
class FetchedMail:
    """One message as read from the server: its UID, its raw RFC 5322 bytes
    and the parts left out because they were too large, each as
    ``{"filename", "size" (bytes, decoded, estimated from the encoded
    size), "reason"}``. ``raw`` is rebuilt from the parts read when
    ``skipped`` is not empty."""

    uid: int
    raw: bytes
    skipped: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ImapAccount:
    """Where and how to log in: ``security`` is ``ssl`` (implicit TLS, RFC
    8314), ``starttls`` (RFC 3501 6.2.1) or ``none``."""

    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str


@contextmanager
def connect(account: ImapAccount) -> Iterator[Any]:
    """A logged-in imap-tools mailbox with ``account.folder`` selected; logs
    out on exit. Raises one of ``IMAP_ERRORS`` when the server cannot be
    reached, refuses the login or has no such folder."""
    box: Any
    if account.security == "ssl":
        box = MailBox(account.host, account.port, timeout=TIMEOUT_SECONDS)
    elif account.security == "starttls":
        box = MailBoxStartTls(account.host, account.port, timeout=TIMEOUT_SECONDS)
    else:
        box = MailBoxUnencrypted(account.host, account.port, timeout=TIMEOUT_SECONDS)
    box.login(account.username, account.password, initial_folder=account.folder)
    try:
        yield box
    finally:
        # The session is over either way; the mail read so far stands.
        with contextlib.suppress(*IMAP_ERRORS):
            box.logout()


def uidvalidity(box: Any, folder: str) -> int:
    """The folder's UIDVALIDITY (RFC 3501 2.3.1.1)."""
    return int(box.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"])


def new_uids(box: Any, after: int) -> list[int]:
    """UIDs above ``after`` in the selected folder, ascending."""
    # "n:*" always includes the highest UID even when it is below n
    # (RFC 3501 6.4.8), so the range is filtered here.
    found = (int(uid) for uid in box.uids(A(uid=U(str(after + 1), "*"))))
    return sorted(uid for uid in found if uid > after)


def fetch(box: Any, uid: int) -> FetchedMail | None:
    """The raw message with ``uid``, without setting ``\\Seen`` (BODY.PEEK);
    None when it was expunged meanwhile."""
    status, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return FetchedMail(uid=uid, raw=item[1])
    return None


def fetch_bounded(box: Any, uid: int, *, max_part_bytes: int) -> FetchedMail | None:
    """The message with ``uid`` (as ``fetch``), but never holding a part of
    more than ``max_part_bytes`` (decoded) in memory: a mail larger than
    that (plus ``WHOLE_MAIL_MARGIN_BYTES``, and base64's third) is read
    part by part without the parts above the limit, which are listed in
    ``skipped``; an oversized text body is read up to
    ``TEXT_PREFIX_BYTES``. None when the message was expunged meanwhile."""
    found = _fetch_items(box, uid, "(RFC822.SIZE BODYSTRUCTURE)")
    if found is None:
        return None
    items = dict(zip(found[::2], found[1::2], strict=False))
    size = int(str(items.get("RFC822.SIZE", "0")))
    if size <= max_part_bytes * 4 // 3 + WHOLE_MAIL_MARGIN_BYTES:
        return fetch(box, uid)
    structure = parse_structure(items.get("BODYSTRUCTURE"))
    skipped: list[dict[str, Any]] = []
    raw = _rebuild(box, uid, structure, max_part_bytes, skipped) or b""
    return FetchedMail(uid=uid, raw=raw, skipped=tuple(skipped))


def _is_text_body(part: MimePart) -> bool:
    return part.maintype == "text" and part.disposition != "attachment"


def _rebuild(
    box: Any, uid: int, part: MimePart, limit: int, skipped: list[dict[str, Any]]
) -> bytes | None:
    """``part`` as MIME bytes, its header fetched from the server
    (``HEADER`` of the mail, ``n.MIME`` of a part) and its content from
    the parts small enough to keep; None for a part left out."""
    top = part.section == ""
    section = "TEXT" if top else part.section
    if not part.is_multipart and part.decoded_size > limit and not _is_text_body(part):
        skipped.append(
            {
                "filename": part.filename or f"{part.maintype}/{part.subtype}",
                "size": part.decoded_size,
                "reason": (
                    f"is about {part.decoded_size} bytes; attachments may have at most "
                    f"{limit} bytes (left in the mailbox)"
                ),
            }
        )
        if not top:
            return None
    header = _section(box, uid, "HEADER" if top else f"{part.section}.MIME")
    header = header.rstrip(b"\r\n") + b"\r\n\r\n"
    if part.is_multipart:
        boundary = part.params.get("boundary", "").encode()
        children = (_rebuild(box, uid, child, limit, skipped) for child in part.children)
        body = b"".join(
            b"--" + boundary + b"\r\n" + child + b"\r\n" for child in children if child is not None
        )
        return header + body + b"--" + boundary + b"--\r\n"
    if part.decoded_size <= limit:
        return header + _section(box, uid, section)
    if _is_text_body(part):
        # The text of the mail is what the ticket is about: its beginning is
        # kept, cut where a whole base64 line ends.
        prefix = _section(box, uid, section, length=TEXT_PREFIX_BYTES)
        if part.encoding == "base64":
            prefix = prefix[: prefix.rfind(b"\n") + 1]
        return header + prefix
    return header  # the whole mail is one part too large: its headers only


def _fetch_items(box: Any, uid: int, query: str) -> list[Any] | None:
    """The data items of one ``UID FETCH`` as a flat list of names and
    values (literals as ``bytes``); None when the message is gone."""
    status, data = box.client.uid("FETCH", str(uid), query)
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH {uid} failed: {data!r}")
    tokens = parse_response(data)
    # "* n FETCH (...)" arrives from imaplib as "n (...)".
    for position, token in enumerate(tokens):
        if isinstance(token, list) and position > 0:
            return token
    return None


def _section(box: Any, uid: int, section: str, *, length: int | None = None) -> bytes:
    partial = f"<0.{length}>" if length else ""
    status, data = box.client.uid("FETCH", str(uid), f"(BODY.PEEK[{section}]{partial})")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH {uid} BODY[{section}] failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    # A zero-length section comes back as "" rather than a literal.
    return b""


def describe(error: BaseException) -> str:
    """A one-line description of an IMAP failure for the mailbox's last error."""
    if isinstance(error, socket.timeout | TimeoutError):
        return f"timed out after {TIMEOUT_SECONDS} s"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:1000]
