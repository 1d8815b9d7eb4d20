"""Signed links for a portal user's first password (invitation) and a
password reset, in the manner of Django's ``PasswordResetTokenGenerator``.

A token is ``<user id base36>-<issued at, seconds base36>-<HMAC>``. The HMAC
(``SECRET_KEY``, SHA-256) covers the purpose, the user's id, email, password
hash and last sign-in and the issue time, so a token is spent as soon as the
password is set or the user signs in, and stops working after its purpose's
lifetime: ``PORTAL_INVITATION_HOURS`` for an invitation,
``PORTAL_RESET_MINUTES`` for a reset. Nothing is stored: the email job makes
the token when it sends the message.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from ispstack.core import clock
from ispstack.portal.models import PortalUser

Purpose = Literal["invite", "reset"]


def lifetime(purpose: Purpose) -> dt.timedelta:
    """How long a token of ``purpose`` stays valid (from settings)."""
    if purpose == "invite":
        return dt.timedelta(hours=settings.PORTAL_INVITATION_HOURS)
    return dt.timedelta(minutes=settings.PORTAL_RESET_MINUTES)


def _signature(user: PortalUser, purpose: Purpose, issued: int) -> str:
    last = "" if user.last_login is None else user.last_login.replace(microsecond=0).isoformat()
    value = f"{purpose}:{user.pk}:{user.email.lower()}:{user.password}:{last}:{issued}"
    return salted_hmac("ispstack.portal.tokens", value, algorithm="sha256").hexdigest()[:40]


def make_token(user: PortalUser, purpose: Purpose) -> str:
    """A token for ``user`` and ``purpose``, issued now (the business clock)."""
    issued = int(clock.now().timestamp())
    return f"{int_to_base36(user.pk)}-{int_to_base36(issued)}-{_signature(user, purpose, issued)}"


def user_id_of(token: str) -> int | None:
    """The user id a well-formed token names, else None (nothing is verified)."""
    parts = token.split("-")
    if len(parts) != 3:
        return None
    try:
        return base36_to_int(parts[0])
    except ValueError:
        return None


def check_token(user: PortalUser, purpose: Purpose, token: str) -> bool:
    """Whether ``token`` was made for ``user`` and ``purpose``, has not expired
    and has not been spent (password or sign-in changed since)."""
    parts = token.split("-")
    if len(parts) != 3:
        return False
    try:
        user_id, issued = base36_to_int(parts[0]), base36_to_int(parts[1])
    except ValueError:
        return False
    if user_id != user.pk or not constant_time_compare(parts[2], _signature(user, purpose, issued)):
        return False
    age = clock.now().timestamp() - issued
    return 0 <= age <= lifetime(purpose).total_seconds()
