"""Transaction-scoped advisory locks per tenant and purpose.

``tenant_lock(tenant, "billing")`` serialises every change to a tenant's
billing state (a billing run's chunk, a plan change that prorates) without
locking thousands of rows: PostgreSQL's ``pg_advisory_xact_lock`` is held
until the transaction ends, commit or rollback.
"""

from __future__ import annotations

import zlib

from django.db import connection, transaction

from ispstack.core.models import Tenant


def tenant_lock(tenant: Tenant | int, purpose: str) -> None:
    """Wait for and take the lock of ``purpose`` for ``tenant`` until the
    current transaction ends. Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("tenant_lock must run inside a transaction")
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    key = zlib.crc32(purpose.encode()) & 0x7FFFFFFF
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [key, tenant_id])
