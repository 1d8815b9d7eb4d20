"""Deleting inventory: sites, sectors, devices and ONUs, refused while
something still uses them.

A row in use is never deleted out from under what uses it (nor does a
delete cascade into rows a person did not mean to remove): the refusal is a
``Conflict`` naming the row's field and saying what holds it, so the person
can move or remove that first. What belongs to the row alone goes with it:
a site's VLANs and plan-to-VLAN map, an OLT's empty PON ports.

The users live in higher layers (subscriptions point at sectors, CPEs and
ONUs); they are found through the reverse relations, without importing
those apps.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

from ispstack.core import audit
from ispstack.core.errors import Conflict
from ispstack.network.inventory import Device, Onu, PonPort, Sector, Site


def _names(rows: Any, limit: int = 3) -> str:
    """The first ``limit`` rows as text, with the count of the rest."""
    items = list(rows[: limit + 1])
    shown = ", ".join(str(row) for row in items[:limit])
    more = rows.count() - limit if len(items) > limit else 0
    return shown + (f" and {more} more" if more else "")


def _delete(obj: Any, actor: Any, action: str, field: str) -> None:
    """Delete ``obj`` with an audit row. Raises Conflict naming ``field``
    when a row of a higher layer protects it (an outage declared on it):
    that history is kept, so the row is too."""
    audit.record(tenant=obj.tenant, actor=actor, action=action, obj=obj, before=audit.snapshot(obj))
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as error:
        holders = sorted({str(row) for row in error.protected_objects})
        shown = ", ".join(holders[:3]) + (
            f" and {len(holders) - 3} more" if len(holders) > 3 else ""
        )
        raise Conflict(
            f"{field} '{obj}' cannot be deleted: {shown} still refer to it", field=field
        ) from error


@transaction.atomic
def delete_site(*, site: Site, actor: Any = None) -> None:
    """Delete ``site`` with its VLANs and plan-to-VLAN map. Leads, surveys
    and orders that named it keep their other details (their site is
    cleared). Raises Conflict (field ``site``) while it has sectors,
    devices, IP pools or NAS."""
    locked = Site.objects.select_for_update().get(pk=site.pk)
    holders: list[tuple[str, Any]] = [
        ("sectors", locked.sectors.order_by("name")),
        ("devices", locked.devices.order_by("name")),
        ("IP pools", locked.ip_pools.order_by("name")),
        ("NAS", locked.nas.order_by("shortname")),
    ]
    used = [f"{label} {_names(rows)}" for label, rows in holders if rows.exists()]
    if used:
        raise Conflict(
            f"site '{locked}' is in use by {'; '.join(used)}: move or delete them first",
            field="site",
        )
    _delete(locked, actor, "site.delete", "site")


@transaction.atomic
def delete_sector(*, sector: Sector, actor: Any = None) -> None:
    """Delete ``sector``. Raises Conflict (field ``sector``) while
    subscriptions are served through it."""
    locked = Sector.objects.select_for_update().get(pk=sector.pk)
    served = locked.subscriptions.order_by("username")
    if served.exists():
        raise Conflict(
            f"sector '{locked}' serves subscriptions {_names(served)}: move them first",
            field="sector",
        )
    _delete(locked, actor, "sector.delete", "sector")


@transaction.atomic
def delete_device(*, device: Device, actor: Any = None) -> None:
    """Delete ``device`` with its PON ports (an OLT's). Raises Conflict
    (field ``device``) while it is a subscription's CPE, a NAS, a sector's
    access point, or an OLT with ONUs on its ports."""
    locked = Device.objects.select_for_update().get(pk=device.pk)
    used = []
    subscription = getattr(locked, "subscription", None)
    if subscription is not None:
        used.append(f"the CPE of subscription {subscription}")
    nas = getattr(locked, "nas", None)
    if nas is not None:
        used.append(f"NAS {nas}")
    sectors = locked.sectors.order_by("name")
    if sectors.exists():
        used.append(f"the access point of sectors {_names(sectors)}")
    onus = Onu.objects.filter(pon_port__olt=locked).order_by("serial")
    if onus.exists():
        used.append(f"the OLT of ONUs {_names(onus)}")
    if used:
        raise Conflict(
            f"device '{locked}' is in use as {'; '.join(used)}: release it first",
            field="device",
        )
    PonPort.objects.filter(olt=locked).delete()
    _delete(locked, actor, "device.delete", "device")


@transaction.atomic
def delete_onu(*, onu: Onu, actor: Any = None) -> None:
    """Delete ``onu`` (one entered by mistake). Raises Conflict (field
    ``onu``) once it has been assigned to a subscription: its assignment
    history stays; mark it returned or faulty instead."""
    locked = Onu.objects.select_for_update().get(pk=onu.pk)
    history = locked.assignments.order_by("-assigned_at")
    current = history.filter(released_at__isnull=True).first()
    if current is not None:
        raise Conflict(
            f"ONU {locked.serial} is assigned to subscription {current.subscription}:"
            " release it first",
            field="onu",
        )
    if history.exists():
        raise Conflict(
            f"ONU {locked.serial} has an assignment history, which is kept:"
            " mark it returned or faulty instead",
            field="onu",
        )
    _delete(locked, actor, "onu.delete", "onu")
