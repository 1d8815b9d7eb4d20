"""API tokens: create, list, revoke, and find the token of a request.

Rules:

- the raw token is returned once, by ``create_token``; only its prefix and
  SHA-256 digest are stored (see ``ApiToken``);
- ``expires`` is an aware datetime in the future, or None for a token that
  does not expire;
- ``last_used`` is written at most once per ``LAST_USED_INTERVAL``, so a
  busy client does not turn every read into a write; the first use and a
  use from a new address are recorded in the audit log;
- creation, use and revocation are audited with the token's name and
  prefix, never the secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q

from ispstack.api.models import ApiToken
from ispstack.api.scopes import ALL, clean_scopes
from ispstack.core import audit, clock
from ispstack.core.access import logger as access_logger
from ispstack.core.errors import InvalidInput
from ispstack.core.inputs import check_values, text
from ispstack.core.models import User

PREFIX = "ispk_"
LAST_USED_INTERVAL = dt.timedelta(minutes=1)


def digest(raw: str) -> str:
    """The SHA-256 of a raw token, as 64 hex digits: what the table stores."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _audit(token: ApiToken, *, actor: Any, action: str, ip: str) -> None:
    details = {"ip": ip, "token": token.prefix, "name": token.name}
    if token.tenant_id is None:
        access_logger.info("%s %s by %s", action, details, getattr(actor, "username", actor))
        return
    audit.record(tenant=token.tenant, actor=actor, action=action, obj=token, after=details)  # type: ignore[arg-type]


def create_token(
    *,
    user: User,
    name: str,
    scopes: list[str] | None = None,
    expires: dt.datetime | None = None,
    actor: Any = None,
    ip: str = "",
) -> tuple[ApiToken, str]:
    """A new token of ``user`` and its raw value, which is not stored anywhere.

    ``scopes`` defaults to ``["*"]`` (all the user may do). ``actor`` is who
    creates it (the user itself through the API, an admin or the CLI);
    ``ip`` the client's address for the audit log.

    Raises InvalidInput for an empty or over-long ``name``, unknown
    ``scopes``, a naive or past ``expires``, or an inactive user.
    """
    name = text(name, "name", required=True)
    scopes = clean_scopes([ALL] if scopes is None else scopes)
    if expires is not None:
        if not isinstance(expires, dt.datetime) or expires.tzinfo is None:
            raise InvalidInput("must be a date and time with its UTC offset", field="expires")
        if expires <= clock.now():
            raise InvalidInput("must be in the future", field="expires")
    if not user.is_active:
        raise InvalidInput("is not an active user", field="user")
    check_values(ApiToken, {"name": name})
    # 44 random bits (11 hex digits, as the column allows): a clash with the
    # unique prefix of another token is negligible at any ISP's token count.
    prefix = PREFIX + secrets.token_hex(6)[:11]
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            tenant=user.tenant,
            user=user,
            name=name,
            prefix=prefix,
            digest=digest(raw),
            scopes=scopes,
            expires=expires,
        )
        _audit(token, actor=actor or user, action="api_token.create", ip=ip)
    return token, raw


def revoke_token(*, token: ApiToken, actor: Any, ip: str = "") -> ApiToken:
    """Revoke ``token`` for good: every later request with it answers 401.

    Revoking a revoked token changes nothing and writes no second audit row.
    """
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked is None:
            token.revoked = clock.now()
            token.save(update_fields=["revoked"])
            _audit(token, actor=actor, action="api_token.revoke", ip=ip)
    return token


def find_token(raw: str) -> ApiToken | None:
    """The token whose digest matches ``raw``, with its user; None when none does.

    Whether it may still be used is the caller's question (``refusal``).
    """
    return ApiToken.objects.select_related("user", "tenant").filter(digest=digest(raw)).first()


def refusal(token: ApiToken) -> str:
    """Why ``token`` may not be used now, or "" when it may."""
    if token.revoked is not None:
        return "this token has been revoked"
    if token.expires is not None and token.expires <= clock.now():
        return "this token has expired"
    if not token.user.is_active:
        return "the token's user is inactive"
    return ""


def mark_used(token: ApiToken, *, ip: str) -> None:
    """Note that ``token`` was just used from ``ip``.

    ``last_used`` is written at most once per ``LAST_USED_INTERVAL``; the
    audit log gets ``api_token.use`` when the token is used for the first
    time or from another address than the last, the moments that tell a
    leaked token apart (one conditional UPDATE each, so concurrent requests
    write once).
    """
    now = clock.now()
    address = ip or None
    rows = ApiToken.objects.filter(pk=token.pk)
    if token.last_ip != address or token.last_used is None:
        with transaction.atomic():
            moved = (
                rows.filter(Q(last_used__isnull=True) | ~Q(last_ip=address))
                if address
                else rows.filter(Q(last_used__isnull=True) | Q(last_ip__isnull=False))
            ).update(last_used=now, last_ip=address)
            if moved:
                token.last_used, token.last_ip = now, address
                _audit(token, actor=token.user, action="api_token.use", ip=ip)
        return
    if now - token.last_used >= LAST_USED_INTERVAL:
        rows.filter(last_used__lt=now - LAST_USED_INTERVAL).update(last_used=now)
        token.last_used = now
