"""The portal API's token authentication, permission and rate limits.

``Authorization: Bearer <token>`` (or ``Token <token>``) with a portal token
(``portal.api.tokens``). An unknown token (a staff token included: it is not
in the portal's table), an expired or revoked one, or a switched-off login
answers 401. ``request.user`` stays anonymous, as in a portal session (see
``ispstack.portal``): the portal user is ``request.auth.user``, so nothing
that trusts ``request.user`` as staff ever sees a customer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ispstack.core.access import client_ip
from ispstack.portal.api.tokens import find_token, mark_used, refusal
from ispstack.portal.models import PortalToken

KEYWORDS = (b"token", b"bearer")
# Longer than any token issued (ispc_ + 11 + 1 + 43 characters): anything
# longer is refused before it is hashed.
MAX_TOKEN_LENGTH = 200


class PortalTokenAuthentication(BaseAuthentication):
    """Authenticate a request by its portal token: ``(AnonymousUser, PortalToken)``."""

    def authenticate(self, request: Request) -> tuple[Any, PortalToken] | None:
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
        token = find_token(raw) if len(raw) <= MAX_TOKEN_LENGTH else None
        if token is None:
            raise exceptions.AuthenticationFailed("unknown portal token")
        why = refusal(token)
        if why:
            raise exceptions.AuthenticationFailed(why)
        mark_used(token)
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when the token is missing or bad.
        return 'Bearer realm="portal"'


class IsPortalUser(BasePermission):
    """The request carries a valid portal token (``PortalTokenAuthentication``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, PortalToken)


class _SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from ``settings.API_THROTTLE_RATES`` on
    every request, as the staff API's are (one setting for both APIs); a rate
    of None turns it off."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope or "")


class PortalTokenRateThrottle(_SettingsRateThrottle):
    """Requests per portal token: the ``token`` rate of the staff API."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, PortalToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"p{request.auth.pk}"}


class PortalLoginRateThrottle(_SettingsRateThrottle):
    """Token requests per client address: the ``login`` rate (django-axes
    locks a login out after repeated failures; this bounds how fast one
    address may try logins at all)."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class PortalTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes ``PortalTokenAuthentication``."""

    target_class = PortalTokenAuthentication
    name = "portalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <portal token>`; portal tokens come from "
            "POST /api/v1/portal/auth/token/ (a staff token is refused here).",
        }
