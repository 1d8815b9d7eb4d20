"""The API's token authentication and rate limits.

``Authorization: Token <token>`` (DRF's word, kept for existing clients) or
``Authorization: Bearer <token>`` (RFC 6750). An unknown, expired or revoked
token answers 401; a token whose scopes do not cover the route answers 403.
The scope check sits here, where the token is known, so that no view can
leave it out by choosing its own permission classes.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from ispstack.api.models import ApiToken
from ispstack.api.scopes import allows, route_app
from ispstack.api.tokens import find_token, mark_used, refusal
from ispstack.core.access import client_ip
from ispstack.core.api.bearer import SettingsRateThrottle, bearer_token


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate a request by its API token (see ``api.tokens``)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        raw = bearer_token(request)
        if raw is None:
            return None
        token = find_token(raw) if raw else None
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


class TokenRateThrottle(SettingsRateThrottle):
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
