"""Reading new mail from an IMAP mailbox (RFC 3501) with imap-tools.

New mail is found by UID, not by the ``\\Seen`` flag: a person reading the
support mailbox in a mail client must not hide mail from the poller. UIDs
only mean something together with the folder's UIDVALIDITY (RFC 3501
2.3.1.1); when it changes, every UID is new and the caller starts over.
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


@dataclass(frozen=True)
class FetchedMail:
    """One message as the server holds it: its UID and its raw RFC 5322 bytes."""

    uid: int
    raw: bytes


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


def describe(error: BaseException) -> str:
    """A one-line description of an IMAP failure for the mailbox's last error."""
    if isinstance(error, socket.timeout | TimeoutError):
        return f"timed out after {TIMEOUT_SECONDS} s"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:1000]
