"""The rules of one-time codes sent by SMS or email, shared by the portal's
sign-in codes and the hotspot's captive sign-in. Product defaults:

- ``LENGTH`` (6) digits from ``secrets``: one chance in a million per guess;
- a code works for ``LIFETIME`` (5 minutes) from the moment it leaves: long
  enough for a slow SMS, short enough that a code read later is worthless;
- ``MAX_TRIES`` (5) wrong entries spend it: five guesses at one in a million;
- a new code may be asked for ``RESEND_AFTER`` (60 seconds) after the last,
  so a page cannot flood a phone (or the tenant's SMS bill);
- only an HMAC of the code is stored, salted with the row's purpose, id and
  sending time, so a database read reveals no code.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal

from django.utils.crypto import salted_hmac

LIFETIME = dt.timedelta(minutes=5)
MAX_TRIES = 5
RESEND_AFTER = dt.timedelta(seconds=60)
LENGTH = 6

Result = Literal["ok", "wrong", "expired", "locked"]


class TooSoon(Exception):
    """A new code was asked for within ``RESEND_AFTER`` of the last;
    ``seconds`` is how long to wait."""

    def __init__(self, seconds: int):
        super().__init__(f"ask again in {seconds} seconds")
        self.seconds = seconds


@dataclass(frozen=True)
class Check:
    """What checking a code found: ``ok``, ``wrong`` (``left`` tries remain),
    ``expired`` (or none outstanding: ask for a new one) or ``locked`` (the
    last try was spent)."""

    result: Result
    left: int = 0


def new_code() -> str:
    """A fresh code: ``LENGTH`` decimal digits, leading zeros kept."""
    return f"{secrets.randbelow(10**LENGTH):0{LENGTH}d}"


def digest(purpose: str, row_id: int, sent_at: dt.datetime | None, code: str) -> str:
    """The HMAC-SHA256 (hex, 64 characters) stored for ``code`` of row
    ``row_id`` sent at ``sent_at``, keyed with ``SECRET_KEY`` and ``purpose``."""
    sent = sent_at.isoformat() if sent_at else ""
    return salted_hmac(purpose, f"{row_id}:{sent}:{code}", algorithm="sha256").hexdigest()


def wait_before_resend(requested_at: dt.datetime | None, now: dt.datetime) -> int:
    """Seconds to wait before a new code may be asked for (0: now)."""
    if requested_at is None or now - requested_at >= RESEND_AFTER:
        return 0
    return max(1, int((RESEND_AFTER - (now - requested_at)).total_seconds()))
