"""What the staff API's and the portal API's token authentication share:
reading the token from the ``Authorization`` header, and rate limits read
from the settings.

A token comes as ``Authorization: Bearer <token>`` (RFC 6750 2.1) or
``Authorization: Token <token>`` (DRF's word, kept for existing clients).
Each API looks the token up in its own table (``api.tokens``,
``portal.api.tokens``), so a token of one API is unknown to the other.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ispstack.core.access import client_ip

KEYWORDS = (b"token", b"bearer")
# Longer than any token issued (a prefix such as ispk_ + 11 + 1 + 43
# characters, or a 40-digit legacy key): anything longer is refused before
# it is hashed.
MAX_TOKEN_LENGTH = 200


def bearer_token(request: Request) -> str | None:
    """The token of the request's ``Authorization`` header; None when the
    header is absent or names another scheme (another authentication may
    take the request); ``""`` for a token longer than ``MAX_TOKEN_LENGTH``
    (no token is: the caller answers "unknown token").

    Raises AuthenticationFailed (401) for a header of the scheme without
    exactly one token, or a token with other than ASCII characters.
    """
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() not in KEYWORDS:
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed(
            "the Authorization header must be 'Bearer <token>' or 'Token <token>'"
        )
    try:
        raw = parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("a token has ASCII characters only") from None
    return raw if len(raw) <= MAX_TOKEN_LENGTH else ""


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from ``settings.API_THROTTLE_RATES[scope]``
    on every request (DRF binds its rates at import), so the environment,
    and tests, can change it; a rate of None turns the throttle off."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope or "")


class LoginRateThrottle(SettingsRateThrottle):
    """Token requests (a login and password) per client address: the
    ``login`` rate, one count for both APIs.

    django-axes locks a login out after repeated failures; this bounds how
    fast one address may try logins at all.
    """

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}
