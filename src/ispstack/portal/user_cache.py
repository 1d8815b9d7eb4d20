"""The signed-in portal user's row, with its customer, tenant and the
tenant's portal branding, kept in the shared cache: every portal page and
portal API call reads it, and it changes rarely.

On only when ``core.auth_cache.enabled()`` (a cache every process shares,
``REDIS_CACHE_URL``), for the reason given there: a per-process cache would
keep a deactivated user signed in in the other processes. Entries live
``settings.AUTH_CACHE_SECONDS`` at most. A save or delete of the portal
user, its customer, its tenant or the tenant's branding drops the entries
it touches (receivers connected in ``portal.apps``), so the next page shows
the change; a change the ORM does not signal (``QuerySet.update``, raw
SQL) counts when the entry expires, except a refusal: ``portal.auth``
checks a cached user that fails the sign-in checks against the database.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ispstack.core import auth_cache
from ispstack.portal.models import PortalUser


def _key(user_id: Any) -> str:
    return f"ispstack:portal:user:{user_id}"


def load(user_id: Any) -> PortalUser | None:
    """The portal user ``user_id`` (active or not, any tenant) with customer,
    tenant and branding from the database (1 query), cached when the cache
    is on; None when there is no such user."""
    user = (
        # The branding rides along: every page shows it (one query less).
        PortalUser.objects.select_related("customer", "tenant__portal_branding")
        .filter(pk=user_id)
        .first()
    )
    if user is not None and auth_cache.enabled():
        cache.set(_key(user.pk), user, timeout=settings.AUTH_CACHE_SECONDS)
    return user


def read(user_id: Any) -> PortalUser | None:
    """The portal user ``user_id`` as ``load`` reads it: from the cache when
    it holds it (no query), else from the database."""
    if auth_cache.enabled():
        user = cache.get(_key(user_id))
        if user is not None:
            return user
    return load(user_id)


def forget(user_ids: list[Any]) -> None:
    """Drop the cached rows of these portal users, now and again when the
    transaction commits: a request of the same user between the save and the
    commit reads the old row (still active, the old password hash) and would
    cache it for ``AUTH_CACHE_SECONDS``."""
    if user_ids and auth_cache.enabled():
        keys = [_key(pk) for pk in user_ids]
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def forget_user(sender: Any, instance: PortalUser, **_: Any) -> None:
    """Signal receiver (portal user saved or deleted): drop its row."""
    forget([instance.pk])


def forget_customer(sender: Any, instance: Any, **_: Any) -> None:
    """Signal receiver (customer saved or deleted): drop its portal users' rows."""
    if auth_cache.enabled():
        users = PortalUser.objects.filter(customer_id=instance.pk)
        forget(list(users.values_list("pk", flat=True)))


def forget_tenant(sender: Any, instance: Any, **_: Any) -> None:
    """Signal receiver (tenant or its portal branding saved or deleted): drop
    the rows of the tenant's portal users (``instance`` is the tenant or has
    its ``tenant_id``)."""
    if auth_cache.enabled():
        tenant_id = getattr(instance, "tenant_id", None) or instance.pk
        users = PortalUser.objects.filter(tenant_id=tenant_id)
        forget(list(users.values_list("pk", flat=True)))
