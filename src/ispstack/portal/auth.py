"""The portal's own session: which portal user a browser session belongs to.

Kept apart from Django's staff login (see ``ispstack.portal``): the keys
below, never ``django.contrib.auth``'s. ``sign_in`` flushes the session (a
staff login in it ends) and stores the user's id, a hash bound to their
password (a password change ends the other sessions) and the time of the
last request; ``portal_user`` refuses a session that holds a staff login,
belongs to another tenant or has been idle ``PORTAL_IDLE_MINUTES``.

When a sign-in code by SMS is required (``portal.sign_in_codes``), the
right password only starts a pending sign-in (``begin_pending``): the
session holds who is waiting for a code, under keys ``portal_user``
ignores, and is signed in by ``sign_in`` once the code passes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY as STAFF_SESSION_KEY
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from ispstack.core import clock
from ispstack.portal import user_cache
from ispstack.portal.models import PortalUser

USER_KEY = "portal_user_id"
HASH_KEY = "portal_auth_hash"
SEEN_KEY = "portal_seen"
PENDING_KEY = "portal_pending_user_id"
PENDING_HASH_KEY = "portal_pending_hash"
PENDING_LOCKOUT_KEY = "portal_pending_lockout"
PENDING_NEXT_KEY = "portal_pending_next"
# A pending sign-in outlives its code's 5 minutes so that a new code can be
# asked for, but not a forgotten tab (seconds).
PENDING_SECONDS = 15 * 60
# The last-request time is written back at most this often (seconds), so a
# page costs no session write between.
SEEN_GRANULARITY = 60


def _auth_hash(user: PortalUser) -> str:
    return salted_hmac("ispstack.portal.session", user.password, algorithm="sha256").hexdigest()


def sign_in(request: HttpRequest, user: PortalUser) -> None:
    """Start a fresh portal session for ``user`` (new session key, nothing kept)."""
    request.session.flush()
    request.session[USER_KEY] = user.pk
    request.session[HASH_KEY] = _auth_hash(user)
    request.session[SEEN_KEY] = int(clock.now().timestamp())
    request.session.set_expiry(settings.PORTAL_IDLE_MINUTES * 60)


def begin_pending(
    request: HttpRequest, user: PortalUser, *, lockout: str, following: str = ""
) -> None:
    """Start a fresh session in which ``user`` gave the right password and
    waits for their code: not signed in. ``lockout`` is the django-axes key
    the sign-in counts under; ``following`` the page asked for."""
    request.session.flush()
    request.session[PENDING_KEY] = user.pk
    request.session[PENDING_HASH_KEY] = _auth_hash(user)
    request.session[PENDING_LOCKOUT_KEY] = lockout
    request.session[PENDING_NEXT_KEY] = following
    request.session.set_expiry(PENDING_SECONDS)


def pending_user(request: HttpRequest, tenant_slug: str) -> PortalUser | None:
    """The portal user of tenant ``tenant_slug`` this session waits for a
    code of (active, same password), with customer and tenant; else None."""
    user_id = request.session.get(PENDING_KEY)
    if user_id is None:
        return None
    user = (
        PortalUser.objects.select_related("customer", "tenant__portal_branding")
        .filter(pk=user_id, is_active=True, tenant__slug=tenant_slug)
        .first()
    )
    if user is None or not constant_time_compare(
        request.session.get(PENDING_HASH_KEY, ""), _auth_hash(user)
    ):
        return None
    return user


def _signed_in_as(session: Any, user: PortalUser, tenant_slug: str) -> bool:
    """Whether ``session`` is ``user``'s sign-in on the portal of ``tenant_slug``:
    the user is active, of that tenant, and has the password the session
    was signed in with."""
    return (
        user.is_active
        and user.tenant.slug == tenant_slug
        and constant_time_compare(session.get(HASH_KEY, ""), _auth_hash(user))
    )


def sign_out(request: HttpRequest) -> None:
    """End the session (all of it)."""
    request.session.flush()


def portal_user(request: HttpRequest, tenant_slug: str) -> PortalUser | None:
    """The signed-in portal user of this session for the tenant ``tenant_slug``
    (with customer, tenant and branding: ``portal.user_cache``), or None: no portal sign-in, a
    staff login in the session, another tenant, a deactivated user, a
    changed password, or idle longer than ``PORTAL_IDLE_MINUTES`` (the
    session is then flushed)."""
    session = request.session
    user_id = session.get(USER_KEY)
    if user_id is None or STAFF_SESSION_KEY in session:
        return None
    now = int(clock.now().timestamp())
    seen = session.get(SEEN_KEY, 0)
    if now - seen > settings.PORTAL_IDLE_MINUTES * 60:
        session.flush()
        return None
    user = user_cache.read(user_id)
    if user is None or not _signed_in_as(session, user, tenant_slug):
        # The cached row may be older than a change the ORM did not signal
        # (a hash upgraded at sign-in): the database decides a refusal.
        user = user_cache.load(user_id)
        if user is None or not _signed_in_as(session, user, tenant_slug):
            return None
    if now - seen >= SEEN_GRANULARITY:
        session[SEEN_KEY] = now
    return user
