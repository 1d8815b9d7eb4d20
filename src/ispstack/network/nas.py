"""The NAS registry: the routers and BRAS FreeRADIUS accepts requests from
(``read_clients = yes`` reads the ``nas`` table) and ispstack sends CoA and
Disconnect requests to (RFC 5176).

Shared secrets are write-only: the API and admin never show them, the audit
log records that a secret changed but not its value.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import transaction

from ispstack.core import audit, events, inputs, secrets
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.network.events import NasTypeChanged
from ispstack.network.inventory import Device, DeviceRole, Site
from ispstack.network.models import Nas, NasType
from ispstack.network.sites import owned

#: Published by ``update_nas`` when a NAS's type changed, with ``nas`` (the
#: NAS) and ``previous_type``: the RADIUS rows of its subscribers carry the
#: vendor's rate attributes and are rewritten by radius, a higher floor.

NAS_FIELDS = {
    "nasname",
    "shortname",
    "type",
    "secret",
    "coa_port",
    "description",
    "site",
    "device",
}
SECRET_LENGTH = (8, 128)  # RFC 2865 3: at least 16 octets is recommended; 8 is a floor
# FreeRADIUS's own nas schema is text in PostgreSQL but sizes these columns in
# its MySQL one (shortname varchar(32), description varchar(200)); a textual
# IPv6 address has at most 45 characters (RFC 4291 2.2, form 3).
NASNAME_MAX_LENGTH = 45
SHORTNAME_MAX_LENGTH = 32
DESCRIPTION_MAX_LENGTH = 200


def _snapshot(nas: Nas) -> dict[str, Any]:
    return {
        "nasname": nas.nasname,
        "shortname": nas.shortname,
        "type": nas.type,
        "coa_port": nas.coa_port,
        "description": nas.description,
        "site": nas.site_id,
        "device": nas.device_id,
    }


def validate_nas(
    data: dict[str, Any], *, instance: Nas | None = None, tenant: Tenant | None = None
) -> dict[str, Any]:
    """Check NAS input; returns cleaned values. Raises InvalidInput, NotFound
    or Conflict. ``tenant`` owns a new NAS (``instance`` its own).

    ``nasname`` is the NAS's IPv4/IPv6 address (FreeRADIUS matches clients by
    source address), unique across tenants because ``read_clients`` loads
    every row of ``nas`` whatever its tenant (the database's rule too);
    ``secret`` 8-128 printable characters; ``coa_port`` a whole number
    1-65535 (RFC 5176 default 3799 when empty); ``site`` a site and
    ``device`` an inventory device of role router of the same ISP (none for
    a platform NAS), the device at that site when both are set and not
    another NAS's.
    """
    inputs.unknown_fields(data, NAS_FIELDS)
    clean: dict[str, Any] = {}
    if "nasname" in data:
        try:
            clean["nasname"] = str(ipaddress.ip_address(inputs.text(data["nasname"], "nasname")))
        except ValueError:
            raise InvalidInput(
                f"'{data['nasname']}' is not an IP address", field="nasname"
            ) from None
        inputs.taken(
            Nas.objects.filter(nasname=clean["nasname"]),
            instance,
            f"a NAS with address {clean['nasname']} exists",
            "nasname",
        )
    if "shortname" in data:
        clean["shortname"] = inputs.text(
            data["shortname"], "shortname", required=True, max_length=SHORTNAME_MAX_LENGTH
        )
    if "type" in data:
        if not isinstance(data["type"], str) or data["type"] not in NasType.values:
            raise InvalidInput(f"must be one of {', '.join(NasType.values)}", field="type")
        clean["type"] = data["type"]
    if "secret" in data:
        secret = inputs.text(data["secret"], "secret", strip=False)
        low, high = SECRET_LENGTH
        if not low <= len(secret) <= high or not secret.isprintable():
            raise InvalidInput(f"must be {low} to {high} printable characters", field="secret")
        clean["secret"] = secret
    if "coa_port" in data:
        port = data["coa_port"]
        if port in (None, ""):
            clean["coa_port"] = None
        else:
            clean["coa_port"] = inputs.whole_number(port, "coa_port")
            if not 1 <= clean["coa_port"] <= 65535:
                raise InvalidInput("must be a port number 1-65535", field="coa_port")
    if "description" in data:
        clean["description"] = inputs.text(
            data["description"], "description", max_length=DESCRIPTION_MAX_LENGTH
        )
    _place(data, clean, instance, tenant)
    inputs.check_values(Nas, clean)
    return clean


def _place(
    data: dict[str, Any], clean: dict[str, Any], instance: Nas | None, tenant: Tenant | None
) -> None:
    """Clean ``site`` and ``device`` of ``data`` into ``clean`` (see ``validate_nas``)."""
    owner = instance.tenant if instance is not None else tenant
    for field, model in (("site", Site), ("device", Device)):
        if field not in data:
            continue
        if data[field] in (None, ""):
            clean[field] = None
        elif owner is None:
            raise InvalidInput("a NAS of no ISP has no site or device", field=field)
        else:
            clean[field] = owned(owner, model, data[field], field)
    device = clean["device"] if "device" in clean else getattr(instance, "device", None)
    if device is None:
        return
    if "device" in clean and device.role != DeviceRole.ROUTER:
        raise InvalidInput(
            f"device '{device.name}' is a {device.get_role_display()}, not a router / NAS",
            field="device",
        )
    other = Nas.objects.filter(device=device)
    if instance is not None:
        other = other.exclude(pk=instance.pk)
    if other.exists():
        raise Conflict(f"device '{device.name}' is another NAS already", field="device")
    site = clean["site"] if "site" in clean else getattr(instance, "site", None)
    if site is not None and device.site_id not in (None, site.pk):
        raise InvalidInput(
            f"device '{device.name}' is at site '{device.site}', not '{site}'", field="device"
        )


@integrity_conflicts()
@transaction.atomic
def create_nas(*, tenant: Tenant, actor: Any = None, **data: Any) -> Nas:
    """Register a NAS. Required: ``nasname``, ``shortname``, ``secret``.

    Raises InvalidInput, or Conflict when the address is taken (also when
    another registration of it commits first).
    """
    inputs.required(data, ("nasname", "shortname", "secret"))
    nas = Nas.objects.create(tenant=tenant, **validate_nas(data, tenant=tenant))
    audit.record(tenant=tenant, actor=actor, action="nas.create", obj=nas, after=_snapshot(nas))
    return nas


@integrity_conflicts()
@transaction.atomic
def update_nas(*, nas: Nas, actor: Any = None, **data: Any) -> Nas:
    """Change a NAS. A new type publishes ``NasTypeChanged``, in this
    transaction: the RADIUS rows of the subscribers on it are rewritten (their
    rate attributes follow the vendor)."""
    nas = Nas.objects.select_for_update().get(pk=nas.pk)
    tenant = nas.tenant
    before = _snapshot(nas)
    clean = validate_nas(data, instance=nas)
    for field, value in clean.items():
        setattr(nas, field, value)
    nas.save()
    audit.record(
        tenant=tenant,  # type: ignore[arg-type]
        actor=actor,
        action="nas.update",
        obj=nas,
        before=before,
        after={**_snapshot(nas), **({"secret": "changed"} if "secret" in clean else {})},
    )
    # A NAS of no tenant (the platform's) serves no tenant's subscribers.
    if before["type"] != nas.type and nas.tenant_id is not None:
        events.publish(
            NasTypeChanged(tenant_id=nas.tenant_id, nas_id=nas.pk, previous_type=before["type"])
        )
    return nas


def reveal_secret(*, nas: Nas, actor: Any) -> str:
    """The NAS's RADIUS shared secret (RFC 2865 3), for staff holding
    ``network.reveal_secret`` (admin, noc: they configure the NAS with it).
    Audited, without the value (``core.secrets.reveal``); raises
    PermissionDenied otherwise, Conflict for a NAS of no tenant."""
    return secrets.reveal(
        obj=nas, field="secret", permission="network.reveal_secret", tenant=nas.tenant, actor=actor
    )
