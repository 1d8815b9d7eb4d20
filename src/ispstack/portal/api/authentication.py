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

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ispstack.core.api.bearer import SettingsRateThrottle, bearer_token
from ispstack.portal.api.tokens import find_token, mark_used, refusal
from ispstack.portal.models import PortalToken


class PortalTokenAuthentication(BaseAuthentication):
    """Authenticate a request by its portal token: ``(AnonymousUser, PortalToken)``."""

    def authenticate(self, request: Request) -> tuple[Any, PortalToken] | None:
        raw = bearer_token(request)
        if raw is None:
            return None
        token = find_token(raw) if raw else None
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


class PortalTokenRateThrottle(SettingsRateThrottle):
    """Requests per portal token: the ``token`` rate of the staff API."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, PortalToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"p{request.auth.pk}"}


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
