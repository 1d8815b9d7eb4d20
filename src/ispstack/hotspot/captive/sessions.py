"""The hotspot's sessions, read from radacct (RFC 2866 accounting written by
FreeRADIUS): those of the tenant's captive users and MAC-authenticated
devices, and of its vouchers, whose usernames carry the tenant's voucher
prefix (``HOTSPOT_VOUCHER_USERNAME_PATTERN``, a regular expression with
``{tenant}`` for the tenant's slug) so that no voucher table is read here.

Bytes are octets as FreeRADIUS's stock queries store them (gigawords folded
in); ``acctinputoctets`` is what the client sent. GB are 10^9 bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet

from ispstack.core.models import Tenant
from ispstack.hotspot.models import CaptiveUser, MacProfile
from ispstack.radius.models import RadAcct

GB = Decimal(10**9)


def voucher_pattern(tenant: Tenant) -> str:
    """The regular expression of the tenant's voucher usernames ("" when none is set)."""
    pattern = getattr(settings, "HOTSPOT_VOUCHER_USERNAME_PATTERN", "")
    return pattern.replace("{tenant}", re.escape(tenant.slug)) if pattern else ""


def sessions_of(
    tenant: Tenant | None,
    *,
    open_only: bool = False,
    username: str = "",
    mac: str = "",
    nas_ip: str = "",
    started_from: dt.datetime | None = None,
    started_to: dt.datetime | None = None,
) -> QuerySet[RadAcct]:
    """Hotspot sessions of ``tenant`` (None: of every tenant, for the platform
    operator), newest first, filtered: open ones only,
    by username, by MAC (Calling-Station-Id, any notation already
    normalised by the caller), by NAS address, by start (aware UTC)."""
    guests = CaptiveUser.objects.all()
    devices = MacProfile.objects.filter(mac_auth=True)
    if tenant is not None:
        guests, devices = guests.filter(tenant=tenant), devices.filter(tenant=tenant)
    scope = Q(username__in=guests.values("username"))
    scope |= Q(username__in=devices.values("mac_address"))
    pattern = voucher_pattern(tenant) if tenant is not None else ""
    if pattern:
        scope |= Q(username__regex=pattern)
    rows = RadAcct.objects.filter(scope)
    if open_only:
        rows = rows.filter(acctstoptime__isnull=True)
    if username:
        rows = rows.filter(username__iexact=username)
    if mac:
        rows = rows.filter(callingstationid__iexact=mac)
    if nas_ip:
        rows = rows.filter(nasipaddress=nas_ip)
    if started_from:
        rows = rows.filter(acctstarttime__gte=started_from)
    if started_to:
        rows = rows.filter(acctstarttime__lt=started_to)
    return rows.order_by(F("acctstarttime").desc(nulls_last=True), "-radacctid")


def gigabytes(octets: int | None) -> Decimal:
    """``octets`` in GB (10^9 bytes), three decimals."""
    return (Decimal(octets or 0) / GB).quantize(Decimal("0.001"))


def as_row(session: RadAcct, *, now: dt.datetime) -> dict[str, Any]:
    """One session as the console and the API show it: duration in seconds
    (``acctsessiontime``, or since the start for an open session), bytes as
    octets and as GB."""
    if session.acctsessiontime is not None and session.acctstoptime is not None:
        duration = int(session.acctsessiontime)
    elif session.acctstarttime is not None:
        duration = max(0, int((now - session.acctstarttime).total_seconds()))
    else:
        duration = int(session.acctsessiontime or 0)
    return {
        "radacctid": session.radacctid,
        "username": session.username or "",
        "mac_address": session.callingstationid or "",
        "ip_address": session.framedipaddress,
        "nas_ip_address": session.nasipaddress,
        "start": session.acctstarttime,
        "stop": session.acctstoptime,
        "duration_seconds": duration,
        "input_octets": session.acctinputoctets or 0,
        "output_octets": session.acctoutputoctets or 0,
        "input_gb": gigabytes(session.acctinputoctets),
        "output_gb": gigabytes(session.acctoutputoctets),
    }
