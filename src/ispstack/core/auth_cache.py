"""What every staff request asks about its user, kept in the shared cache:
the session's user row (with its tenant and the tenant's settings rows,
``core.tenant_settings``), the user's permission set and
whether they have a confirmed OTP device.

Without it each console page and API call reads all three from the database
(the user by primary key, a UNION over the user's and their roles'
permissions, and the OTP device table). It is on only when
``settings.AUTH_CACHE_SECONDS`` is set, which ``settings`` does when
``REDIS_CACHE_URL`` points every process at one Redis: a per-process cache
would keep a revoked permission alive in the other processes, as it would a
session after a logout.

Each entry is stored with the version number current when it was computed,
and read with the current version in the same round trip; an entry of an
earlier version counts as absent. Any change to who holds what bumps the
version (``bump``, connected in ``core.apps`` to the saves and deletes of
groups, permissions, OTP devices, users and tenants and to the changes of
the user-group, user-permission and group-permission links, and in
``core.tenant_settings`` to those of the cached settings rows), so a revoked
role, a new OTP device, a deactivated user or a changed password counts on
the next request of every process. A user is saved at each login (its
time), so a login empties the cache once. A change the ORM does not signal
(raw SQL, ``QuerySet.update``, a ``.through`` bulk write) counts once the
entry expires, after ``AUTH_CACHE_SECONDS`` (300 by default).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

VERSION_KEY = "ispstack:auth:version"
KINDS = ("user", "perms", "otp")
"""The questions cached, read together."""


def enabled() -> bool:
    """Whether the cache is on (a shared cache is configured)."""
    return bool(getattr(settings, "AUTH_CACHE_SECONDS", 0))


def _keys(user_id: Any) -> dict[str, str]:
    return {k: f"ispstack:auth:{k}:{user_id}" for k in KINDS}


def _read(user_id: Any) -> tuple[int, dict[str, Any]]:
    """The current version and ``user_id``'s answers written under it, in one
    round trip: each entry is stored as ``(version, answer)`` and one of an
    earlier version is ignored, as if absent."""
    keys = _keys(user_id)
    found = cache.get_many([VERSION_KEY, *keys.values()])
    version = found.get(VERSION_KEY)
    if version is None:
        _start_version()
        version = cache.get(VERSION_KEY, 0)
    values: dict[str, Any] = {}
    for kind, key in keys.items():
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
            values[kind] = entry[1]
    return int(version), values


def cached(user: Any, kind: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``user``, from the cache when it holds the current
    version's answer (``kind``, one of ``KINDS``, names the question);
    straight ``compute()`` when the cache is off."""
    if not enabled() or user.pk is None:
        return compute()
    values = getattr(user, "_auth_cache_values", None)
    if values is None:
        # Every kind in one round trip: a page asks them all.
        user._auth_cache_version, values = _read(user.pk)
        user._auth_cache_values = values
    value = values.get(kind)
    if value is None:
        value = compute()
        cache.set(
            _keys(user.pk)[kind],
            (user._auth_cache_version, value),
            timeout=settings.AUTH_CACHE_SECONDS,
        )
        values[kind] = value
    return value


def cached_user(user_id: Any, load: Callable[[], Any]) -> Any:
    """The user ``user_id`` as ``load()`` reads it (None: no such user), from
    the cache when it holds the current version's row. The user's other
    answers (``cached``) and the version come in the same round trip."""
    if not enabled():
        return load()
    version, values = _read(user_id)
    user = values.get("user")
    if user is None:
        user = load()
        if user is None:
            return None
        # Stored as read, before the request adds its own attributes.
        cache.set(_keys(user_id)["user"], (version, user), timeout=settings.AUTH_CACHE_SECONDS)
    user._auth_cache_version = version
    user._auth_cache_values = values
    return user


def _start_version() -> None:
    # A number no earlier version had (milliseconds), so that entries written
    # before the version key was lost (evicted, flushed) are never read again;
    # add, not set: a concurrent start or bump wins.
    cache.add(VERSION_KEY, int(time.time() * 1000), timeout=None)


def _next_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet
        _start_version()


def bump(*args: Any, **kwargs: Any) -> None:
    """Signal receiver: forget every cached answer (a new version number), now
    and again once the change is committed, so that a request reading the
    database between the two cannot keep the old answer under the new version."""
    if not enabled():
        return
    _next_version()
    transaction.on_commit(_next_version)


def note_device_state(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save receiver for OTP devices: remember whether this save changes
    the device's ``confirmed`` flag (one primary-key read). django-otp saves
    a device at every code check (its counters and throttling); those saves
    change no cached answer and must not empty the cache for everyone."""
    if not enabled():
        return
    before = (
        type(instance).objects.filter(pk=instance.pk).values_list("confirmed", flat=True).first()
        if instance.pk
        else None
    )
    instance._auth_cache_changed = before is None or before != instance.confirmed


def bump_on_device_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_save receiver for OTP devices: ``bump`` when a device appears or
    its ``confirmed`` flag changed (``note_device_state``)."""
    if getattr(instance, "_auth_cache_changed", True):
        bump()
