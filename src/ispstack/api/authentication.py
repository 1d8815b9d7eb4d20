"""The API's token authentication and rate limits.

``Authorization: Token <token>`` (DRF's word, kept for existing clients) or
``Authorization: Bearer <token>`` (RFC 6750). An unknown, expired or revoked
token answers 401; a token whose scopes do not cover the route answers 403.
The scope check sits here, where the token is known, so that no view can
leave it out by choosing its own permission classes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ispstack.api.models import ApiToken
from ispstack.api.scopes import allows, route_app
from ispstack.api.tokens import find_token, mark_used, refusal
from ispstack.core.access import client_ip

KEYWORDS = (b"token", b"bearer")
# Longer than any token we issue (ispk_ + 11 + 1 + 43 characters, or a 40-digit
# legacy key): anything longer is refused before it is hashed.
MAX_TOKEN_LENGTH = 200


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate a request by its API token (see ``api.tokens``)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "the Authorization header must be 'Token <token>' or 'Bearer <token>'"
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("a token has ASCII characters only") from None
        token = find_token(raw) if len(raw) <= MAX_TOKEN_LENGTH else None
        if token is None:
            raise exceptions.AuthenticationFailed("unknown token")
        why = refusal(token)
        if why:
            raise exceptions.AuthenticationFailed(why)
        view = (request.parser_context or {}).get("view")
        app = route_app(view) if view is not None else ""
        if not allows(token.scopes, app=app, method=request.method or "GET"):
            raise exceptions.PermissionDenied(
                f"this token's scopes ({', '.join(token.scopes)}) do not allow "
                f"{request.method} on this route (app {app or 'api'})"
            )
        mark_used(token, ip=client_ip(request))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when the token is missing or bad.
        return 'Token realm="api"'


class _SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from ``settings.API_THROTTLE_RATES`` on
    every request (DRF binds its rates at import), so the environment, and
    tests, can change it; a rate of None turns the throttle off."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope or "")


class TokenRateThrottle(_SettingsRateThrottle):
    """Requests per token (or per user, for a browser session): ``token`` rate."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        if isinstance(request.auth, ApiToken):
            ident = f"t{request.auth.pk}"
        else:
            ident = f"u{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(_SettingsRateThrottle):
    """Token requests (username and password) per client address: ``login`` rate.

    django-axes locks a username out after repeated failures; this bounds how
    fast one address may try usernames at all.
    """

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes ``ApiTokenAuthentication``."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <token>` (or `Token <token>`); "
            "tokens come from POST /api/v1/auth/token/.",
        }
