"""The FreeRADIUS rows of captive users and MAC-authenticated devices.

A guest is one username in radcheck: ``Cleartext-Password`` and
``Simultaneous-Use`` (check items), and in radreply the tenant's hotspot
policy: ``Session-Timeout``, ``Idle-Timeout`` (seconds) and the rate as
``Mikrotik-Rate-Limit`` (``radius.attributes``; the hotspot is a MikroTik
router). A device known by its MAC (``mac_auth``) is a username equal to its
MAC, upper case with colons, as RouterOS's hotspot sends it with
``mac-auth-mode=mac-as-username-and-password``; a ``Calling-Station-Id ==``
check item ties the login to that MAC, the way FreeRADIUS MAC
authentication is usually set up (rlm_sql compares ``==`` items with the
request, and a mismatch drops the user's check rows: Access-Reject).

Rows of one username are rewritten whole inside the caller's transaction,
under the advisory lock the radius app uses for a username's rows.
"""

from __future__ import annotations

from ispstack.core.locks import name_lock
from ispstack.core.models import Tenant
from ispstack.hotspot.models import CaptiveUser, CaptiveUserStatus, HotspotPolicy
from ispstack.radius.attributes import rate_attributes
from ispstack.radius.models import RadCheck, RadReply
from ispstack.radius.services import RADIUS_ROWS

Row = tuple[str, str, str]


def policy_reply(policy: HotspotPolicy) -> list[Row]:
    """The radreply (attribute, op, value) rows of ``policy``."""
    rows: list[Row] = []
    if policy.session_timeout:
        rows.append(("Session-Timeout", ":=", str(policy.session_timeout)))
    if policy.idle_timeout:
        rows.append(("Idle-Timeout", ":=", str(policy.idle_timeout)))
    rates = rate_attributes("mikrotik", policy.upload_kbps, policy.download_kbps)
    rows.extend((attribute, ":=", value) for attribute, value in rates)
    return rows


def write_rows(*, tenant: Tenant, username: str, check: list[Row], reply: list[Row]) -> None:
    """Replace every radcheck / radreply row of ``username`` by ``check`` and
    ``reply`` (none: the username can no longer log in)."""
    name_lock(RADIUS_ROWS, username.lower())
    RadCheck.objects.filter(username__iexact=username).delete()
    RadReply.objects.filter(username__iexact=username).delete()
    RadCheck.objects.bulk_create(
        RadCheck(tenant=tenant, username=username, attribute=a, op=op, value=v)
        for a, op, v in check
    )
    RadReply.objects.bulk_create(
        RadReply(tenant=tenant, username=username, attribute=a, op=op, value=v)
        for a, op, v in reply
    )


def sync_captive_user(user: CaptiveUser, policy: HotspotPolicy) -> None:
    """The rows of ``user``: password, ``Simultaneous-Use`` and the policy when
    active; none while pending or switched off."""
    if user.status != CaptiveUserStatus.ACTIVE:
        write_rows(tenant=user.tenant, username=user.username, check=[], reply=[])
        return
    check = [
        ("Cleartext-Password", ":=", user.password),
        ("Simultaneous-Use", ":=", str(policy.simultaneous_use)),
    ]
    write_rows(tenant=user.tenant, username=user.username, check=check, reply=policy_reply(policy))


def mac_owner(mac: str) -> int | None:
    """The tenant id whose rows log ``mac`` in by MAC, or None."""
    row = RadCheck.objects.filter(username__iexact=mac).values("tenant_id").first()
    return row["tenant_id"] if row else None


def sync_mac(*, tenant: Tenant, mac: str, enabled: bool, policy: HotspotPolicy) -> None:
    """MAC authentication of ``mac`` (``AA:BB:CC:DD:EE:FF``) on or off."""
    if not enabled:
        write_rows(tenant=tenant, username=mac, check=[], reply=[])
        return
    check = [
        ("Cleartext-Password", ":=", mac),
        ("Calling-Station-Id", "==", mac),
        ("Simultaneous-Use", ":=", str(policy.simultaneous_use)),
    ]
    write_rows(tenant=tenant, username=mac, check=check, reply=policy_reply(policy))
