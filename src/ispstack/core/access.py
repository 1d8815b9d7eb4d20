"""Staff sign-ins in the audit log: who logged in or failed to, from where.

Django sends ``user_logged_in`` and ``user_login_failed`` for every login
through ``django.contrib.auth`` (the admin's login form and the API's token
endpoint alike); the handlers connected in ``CoreConfig.ready`` write one
audit row each. The audit log is per tenant, so a failure for a username
that belongs to no tenant's staff (an unknown name, a platform operator)
goes to the ``ispstack.access`` log instead. The password is never written.
"""

from __future__ import annotations

import logging
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from ispstack.core import audit
from ispstack.core.models import User

logger = logging.getLogger("ispstack.access")


def client_ip(request: Any) -> str:
    """The client's address as django-axes sees it (``AXES_CLIENT_IP_CALLABLE``,
    django-ipware's proxy settings, else ``REMOTE_ADDR``), so the audit log and
    the lockouts name the same address; empty without a request. ``request``
    is Django's or DRF's request."""
    if request is None:
        return ""
    return get_client_ip_address(request) or ""


def record_access(
    *, user: User, action: str, ip: str, details: dict[str, Any] | None = None
) -> None:
    """One audit row ``action`` about ``user`` (the actor too), with the client ``ip``.

    A user without a tenant (a platform operator) has no audit log: the event
    goes to the ``ispstack.access`` log.
    """
    after = {"ip": ip, **(details or {})}
    if user.tenant_id is None:
        logger.info("%s %s from %s %s", action, user.username, ip, details or "")
        return
    audit.record(tenant=user.tenant, actor=user, action=action, obj=user, after=after)  # type: ignore[arg-type]


def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """``user_logged_in`` handler: ``staff.login`` with the address."""
    record_access(user=user, action="staff.login", ip=client_ip(request))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """``user_login_failed`` handler: ``staff.login_failed`` on the user the
    username names, with the address; Django has already masked the password."""
    username = credentials.get("username")
    ip = client_ip(request)
    user = User.objects.filter(username=username).first() if isinstance(username, str) else None
    if user is None or user.tenant_id is None:
        logger.warning("failed login for %r from %s", username, ip)
        return
    audit.record(
        tenant=user.tenant,  # type: ignore[arg-type]
        actor=username,
        action="staff.login_failed",
        obj=user,
        after={"ip": ip},
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: the answer to a locked-out login.

    429 Too Many Requests (RFC 6585) with ``Retry-After`` (the cool-off, in
    seconds); for the API the error shape ``{"code": "locked_out", "field":
    "username", "detail"}``, for the admin's login form the same words as text.
    """
    cool_off = settings.AXES_COOLOFF_TIME
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    detail = "too many failed logins for this username from this address; " + (
        f"try again in {max(1, seconds // 60)} minutes" if seconds else "ask an administrator"
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "locked_out", "field": "username", "detail": detail}, status=429
        )
    else:
        response = HttpResponse(
            f"Login refused: {detail}.", status=429, content_type="text/plain; charset=utf-8"
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
