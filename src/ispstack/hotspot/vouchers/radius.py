"""Vouchers in FreeRADIUS's tables.

A sold voucher's code is its User-Name and password. Its static rows,
written here at the sale (all op ``:=``, so nothing from a group overrides
them):

- radcheck ``Cleartext-Password`` (the code) and ``Simultaneous-Use`` (the
  plan's devices at once; FreeRADIUS counts the open radacct sessions);
- radreply ``Acct-Interim-Interval`` (``INTERIM_SECONDS``) and the rate in
  the attributes of the tenant's default NAS type (``Mikrotik-Rate-Limit``
  ``up/down`` for MikroTik, ``radius.attributes.rate_attributes``).

The rows that change with use (``Expiration``, ``Session-Timeout``, the
MikroTik total limits, ``Auth-Type := Reject`` with its ``Reply-Message``)
are written by the database function ``hotspot_voucher_refresh`` (hotspot
migration 0002), which also runs after every accounting write of a voucher.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from ispstack.core.bulk import copy_rows
from ispstack.core.locks import tenant_lock
from ispstack.hotspot.models import Voucher, VoucherBatch, VoucherState
from ispstack.radius.attributes import rate_attributes
from ispstack.radius.models import RadCheck, RadReply
from ispstack.radius.selectors import settings_for
from ispstack.radius.services import RADIUS_ROWS

# Interim updates every 5 minutes: a voucher's remaining time and data are
# recomputed on each, so this bounds how far a session can overrun between
# two of them (RFC 2869 5.16 asks for at least 60 s).
INTERIM_SECONDS = 300


def write_sold(batch: VoucherBatch, codes: Sequence[str], *, at: dt.datetime) -> None:
    """Write the rows of ``codes`` (vouchers of ``batch`` just sold) with
    COPY, then their dynamic rows as of ``at``. Runs in the caller's transaction."""
    if not codes:
        return
    tenant_lock(batch.tenant_id, RADIUS_ROWS, shared=True)
    plan = batch.plan
    nas_type = settings_for(batch.tenant).default_nas_type
    check = [("Cleartext-Password", None), ("Simultaneous-Use", str(plan.simultaneous_use))]
    reply = [("Acct-Interim-Interval", str(INTERIM_SECONDS))]
    reply.extend(rate_attributes(nas_type, plan.upload_kbps, plan.download_kbps))
    names = ("tenant", "username", "attribute", "op", "value")
    copy_rows(
        RadCheck,
        names,
        (
            (batch.tenant_id, code, attribute, ":=", value or code)
            for code in codes
            for attribute, value in check
        ),
    )
    copy_rows(
        RadReply,
        names,
        (
            (batch.tenant_id, code, attribute, ":=", value)
            for code in codes
            for attribute, value in reply
        ),
    )
    refresh(codes, at=at)


def refresh(codes: Sequence[str], *, at: dt.datetime) -> int:
    """Recompute the use, state and dynamic rows of the sold or in-use
    vouchers among ``codes`` as of ``at`` (aware UTC); returns how many."""
    if not codes:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT hotspot_voucher_refresh(%s::text[], %s)", [list(codes), at])
        return int(cursor.fetchone()[0])


def owned_usernames(tenant_id: int) -> QuerySet[Voucher, Any]:
    """The user names whose RADIUS rows vouchers own (sold, in use or
    expired), for ``radius.services.sync_all`` to leave alone."""
    return (
        Voucher.objects.filter(tenant_id=tenant_id).exclude(state=VoucherState.NEW).values("code")
    )
