"""Portal API tokens: create, list, revoke, and find the token of a request.

The staff API's rules (``ispstack.api.tokens``), for a portal user:

- the raw token is returned once, by ``create_token``; only its prefix and
  SHA-256 digest are stored (see ``PortalToken``);
- every token expires ``PORTAL_API_TOKEN_DAYS`` after it is made;
- ``last_used`` is written at most once per ``LAST_USED_INTERVAL``;
- creation and revocation are audited on the tenant's log with the token's
  prefix, never the secret.

Every token may read and write what the portal's pages let its user do
(pay, report a transfer, manage payment methods, ask for a plan change,
open and answer tickets, edit the profile): there is no read-only scope.
A token is made only with the login's password, the same proof the pages
ask for before any of those writes, so a token scope would not protect
anything the password does not; what guards the writes is per request and
the same as on the pages (the customer's own rows only, a card payment
made once, every field checked before anything is written). A client that
wants less revokes its token when done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction

from ispstack.core import audit, clock
from ispstack.core.inputs import check_values, text
from ispstack.portal.models import PortalToken, PortalUser

# Not the staff tokens' ``ispk_``: a glance tells which API a token is for.
PREFIX = "ispc_"
LAST_USED_INTERVAL = dt.timedelta(minutes=1)


def digest(raw: str) -> str:
    """The SHA-256 of a raw token, as 64 hex digits: what the table stores."""
    return hashlib.sha256(raw.encode()).hexdigest()


def lifetime() -> dt.timedelta:
    """How long a new token works (``PORTAL_API_TOKEN_DAYS``)."""
    return dt.timedelta(days=settings.PORTAL_API_TOKEN_DAYS)


def create_token(*, user: PortalUser, name: str, ip: str = "") -> tuple[PortalToken, str]:
    """A new token of the portal user ``user`` and its raw value, which is not
    stored anywhere; it expires after ``lifetime()``. ``ip`` is the client's
    address, for the audit log.

    Raises InvalidInput naming ``name`` when it is empty or too long.
    """
    name = text(name, "name", required=True)
    check_values(PortalToken, {"name": name})
    # 44 random bits in the prefix (unique column), 256 in the secret.
    prefix = PREFIX + secrets.token_hex(6)[:11]
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = PortalToken.objects.create(
            tenant_id=user.tenant_id,
            user=user,
            name=name,
            prefix=prefix,
            digest=digest(raw),
            expires=clock.now() + lifetime(),
        )
        audit.record(
            tenant=user.tenant,
            actor=f"portal:{user.email}",
            action="portal.api_token.create",
            obj=token,
            after={"ip": ip, "token": prefix, "name": name},
        )
    return token, raw


def revoke_token(*, token: PortalToken, ip: str = "") -> PortalToken:
    """Revoke ``token`` for good: every later request with it answers 401.
    Revoking a revoked token changes nothing and writes no second audit row."""
    with transaction.atomic():
        token = (
            PortalToken.objects.select_for_update()
            .select_related("user", "tenant")
            .get(pk=token.pk)
        )
        if token.revoked is None:
            token.revoked = clock.now()
            token.save(update_fields=["revoked", "updated_at"])
            audit.record(
                tenant=token.tenant,
                actor=f"portal:{token.user.email}",
                action="portal.api_token.revoke",
                obj=token,
                after={"ip": ip, "token": token.prefix},
            )
    return token


def find_token(raw: str) -> PortalToken | None:
    """The token whose digest matches ``raw``, with its user, the user's
    customer and the tenant (one query); None when none does. Whether it may
    still be used is ``refusal``'s question."""
    return (
        PortalToken.objects.select_related("user__customer", "user__tenant", "tenant")
        .filter(digest=digest(raw))
        .first()
    )


def refusal(token: PortalToken) -> str:
    """Why ``token`` may not be used now, or "" when it may."""
    if token.revoked is not None:
        return "this token has been revoked"
    if token.expires <= clock.now():
        return "this token has expired"
    if not token.user.is_active:
        return "the token's portal login is switched off"
    return ""


def mark_used(token: PortalToken) -> None:
    """Note that ``token`` was just used: ``last_used`` is written at most once
    per ``LAST_USED_INTERVAL`` (one conditional UPDATE), so a busy client does
    not turn every read into a write."""
    now = clock.now()
    if token.last_used is not None and now - token.last_used < LAST_USED_INTERVAL:
        return
    PortalToken.objects.filter(pk=token.pk).exclude(last_used__gte=now - LAST_USED_INTERVAL).update(
        last_used=now
    )
    token.last_used = now
