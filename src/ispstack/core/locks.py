"""Transaction-scoped advisory locks per tenant and purpose, or per name.

``tenant_lock(tenant, "billing")`` serialises every change to a tenant's
billing state (a billing run's chunk, a plan change that prorates) without
locking thousands of rows: PostgreSQL's ``pg_advisory_xact_lock`` is held
until the transaction ends, commit or rollback. ``name_lock`` does the same
for one name (a RADIUS username) that has no row of its own to lock.
"""

from __future__ import annotations

import zlib

from django.db import connection, transaction

from ispstack.core.models import Tenant


def _key(text: str) -> int:
    """A stable 31-bit key for ``text`` (PostgreSQL's advisory keys are int4)."""
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def _take(first: int, second: int, *, shared: bool, who: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{who} must run inside a transaction")
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [first, second])


def tenant_lock(tenant: Tenant | int, purpose: str, *, shared: bool = False) -> None:
    """Wait for and take the lock of ``purpose`` for ``tenant`` until the
    current transaction ends. Must run inside a transaction.

    ``shared``: many holders at once, excluded only by an exclusive holder
    (writers of single rows share it; a rewrite of the whole tenant takes it
    exclusively).
    """
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    _take(_key(purpose), tenant_id, shared=shared, who="tenant_lock")


def name_lock(purpose: str, name: str) -> None:
    """Wait for and take the exclusive lock of ``purpose`` for ``name`` until
    the current transaction ends; names are compared ignoring case. Two
    names may share a key (a 31-bit checksum): they then wait for each other,
    which costs time, never correctness. Must run inside a transaction."""
    _take(_key(purpose), _key(name.lower()), shared=False, who="name_lock")
