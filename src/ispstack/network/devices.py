"""Writes on devices, OLT PON ports and the ONU stock.

Device passwords are write-only: the audit log records that one changed,
never its value; ``reveal_password`` reads one for staff allowed to.
ONU states change here while an ONU is not assigned; assigning and
releasing belong to the subscription (``subscriptions.equipment``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django_fsm import TransitionNotAllowed

from ispstack.core import audit, inputs, secrets
from ispstack.core.audit import write
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.network.inventory import (
    ONU_SERIAL_RULE,
    Device,
    DeviceRole,
    Onu,
    OnuState,
    PonPort,
    Site,
)
from ispstack.network.sites import optional_owned, owned

DEVICE_FIELDS = (
    "role",
    "name",
    "site",
    "vendor",
    "model",
    "serial",
    "mac",
    "management_address",
    "firmware",
    "username",
    "password",
    "description",
)
PON_PORT_FIELDS = ("olt", "slot", "port", "max_onus", "description")
ONU_FIELDS = ("serial", "model", "pon_port", "notes")
PASSWORD_MAX_LENGTH = 128
# 48-bit MAC written as hex pairs with ':' or '-', Cisco's dotted triples, or bare hex.
_MAC_FORMS = re.compile(
    r"^(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}"
    r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})$"
)


def normalise_mac(value: Any, field: str = "mac") -> str:
    """A 48-bit MAC address (IEEE 802) as ``AA:BB:CC:DD:EE:FF``; '' for none.

    Accepts colon or hyphen pairs, dotted triples (``aabb.ccdd.eeff``) and
    12 bare hex digits, in any case. Raises InvalidInput naming ``field``.
    """
    text = inputs.text(value, field, max_length=17).lower()
    if not text:
        return ""
    if not _MAC_FORMS.match(text):
        raise InvalidInput(f"'{text}' is not a MAC address (six hex pairs)", field=field)
    digits = re.sub(r"[^0-9a-f]", "", text).upper()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def normalise_onu_serial(value: Any, field: str = "serial") -> str:
    """An ONU serial as ``ZTEG12345678``: the 4-letter vendor id and 8 hex
    digits (ITU-T G.984.3), upper case. Raises InvalidInput naming ``field``."""
    serial = inputs.text(value, field, required=True, max_length=40).upper()
    if not re.match(ONU_SERIAL_RULE, serial):
        raise InvalidInput(
            f"'{serial}' is not an ONU serial: 4 letters (vendor id) and 8 hex digits, "
            "e.g. ZTEG12345678",
            field=field,
        )
    return serial


def _clean_device(tenant: Tenant) -> Callable[[dict[str, Any], Device | None], dict[str, Any]]:
    def clean(data: dict[str, Any], device: Device | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "role" in data:
            if data["role"] not in DeviceRole.values:
                raise InvalidInput(f"must be one of {', '.join(DeviceRole.values)}", field="role")
            values["role"] = data["role"]
        if "name" in data:
            values["name"] = inputs.text(data["name"], "name", required=True, max_length=100)
        if "site" in data:
            values["site"] = optional_owned(tenant, Site, data["site"], "site")
        for field in ("vendor", "model", "firmware"):
            if field in data:
                values[field] = inputs.text(data[field], field, max_length=60)
        if "serial" in data:
            values["serial"] = inputs.text(
                data["serial"], "serial", required=True, max_length=60
            ).upper()
            inputs.taken(
                Device.objects.for_tenant(tenant).filter(serial=values["serial"]),
                device,
                f"a device with serial {values['serial']} exists",
                "serial",
            )
        if "mac" in data:
            values["mac"] = normalise_mac(data["mac"])
            if values["mac"]:
                inputs.taken(
                    Device.objects.for_tenant(tenant).filter(mac=values["mac"]),
                    device,
                    f"a device with MAC {values['mac']} exists",
                    "mac",
                )
        if "management_address" in data:
            raw = inputs.text(data["management_address"], "management_address", max_length=45)
            try:
                values["management_address"] = str(ipaddress.ip_address(raw)) if raw else None
            except ValueError:
                raise InvalidInput(
                    f"'{raw}' is not an IP address", field="management_address"
                ) from None
        if "username" in data:
            values["username"] = inputs.text(data["username"], "username", max_length=64)
        if "password" in data:
            values["password"] = inputs.text(
                data["password"], "password", strip=False, max_length=PASSWORD_MAX_LENGTH
            )
        return values

    return clean


@integrity_conflicts()
@transaction.atomic
def create_device(*, tenant: Tenant, actor: Any = None, **data: Any) -> Device:
    """Register a device. Required: ``role`` (router, olt, switch, ap, cpe),
    ``name``, ``serial`` (unique within the tenant, stored upper case);
    optional ``site``, ``vendor``, ``model``, ``mac`` (unique, normalised to
    ``AA:BB:CC:DD:EE:FF``), ``management_address`` (IPv4/IPv6),
    ``firmware``, ``username`` and ``password`` (management credentials;
    the password is encrypted at rest and never shown), ``description``.
    Raises InvalidInput, NotFound (``site``) or Conflict (``serial``, ``mac``)."""
    return write(
        model=Device,
        tenant=tenant,
        instance=None,
        data=data,
        allowed=DEVICE_FIELDS,
        required=("role", "name", "serial"),
        clean=_clean_device(tenant),
        actor=actor,
        action="device",
    )


@integrity_conflicts()
@transaction.atomic
def update_device(*, device: Device, actor: Any = None, **data: Any) -> Device:
    """Change the given fields of ``device`` (rules of ``create_device``); a
    new password is audited as changed, without its value."""
    updated = write(
        model=Device,
        tenant=device.tenant,
        instance=device,
        data=data,
        allowed=DEVICE_FIELDS,
        required=(),
        clean=_clean_device(device.tenant),
        actor=actor,
        action="device",
    )
    if "password" in data:
        audit.record(
            tenant=device.tenant,
            actor=actor,
            action="device.password_changed",
            obj=updated,
            after={"password": "changed"},
        )
    return updated


def reveal_password(*, device: Device, actor: Any) -> str:
    """The device's management password, for staff holding
    ``network.reveal_credentials`` (admin, noc). Audited without the value
    (``core.secrets.reveal``); raises PermissionDenied otherwise."""
    return secrets.reveal(
        obj=device,
        field="password",
        permission="network.reveal_credentials",
        tenant=device.tenant,
        actor=actor,
    )


def _clean_pon_port(tenant: Tenant) -> Callable[[dict[str, Any], PonPort | None], dict[str, Any]]:
    def clean(data: dict[str, Any], port: PonPort | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "olt" in data:
            olt = owned(tenant, Device, data["olt"], "olt")
            if olt.role != DeviceRole.OLT:
                raise InvalidInput("must be a device of role OLT", field="olt")
            if port is not None and olt != port.olt:
                raise InvalidInput("a PON port stays on its OLT", field="olt")
            values["olt"] = olt
        for field in ("slot", "port"):
            if field in data:
                values[field] = inputs.whole_number(data[field], field)
                if not 0 <= values[field] <= 255:
                    raise InvalidInput("must be 0-255", field=field)
        if "max_onus" in data:
            values["max_onus"] = inputs.whole_number(data["max_onus"], "max_onus")
            if not 1 <= values["max_onus"] <= 256:
                raise InvalidInput("must be 1-256 ONUs", field="max_onus")
        if "description" in data:
            values["description"] = inputs.text(data["description"], "description")
        owner = values.get("olt", getattr(port, "olt", None))
        slot = values.get("slot", getattr(port, "slot", None))
        number = values.get("port", getattr(port, "port", None))
        if owner is not None and slot is not None and number is not None:
            inputs.taken(
                PonPort.objects.filter(olt=owner, slot=slot, port=number),
                port,
                f"the OLT has port {slot}/{number}",
                "port",
            )
        return values

    return clean


@integrity_conflicts()
@transaction.atomic
def create_pon_port(*, tenant: Tenant, actor: Any = None, **data: Any) -> PonPort:
    """Add a PON port to an OLT. Required: ``olt`` (a device of role OLT),
    ``slot``, ``port`` (0-255, unique per OLT); optional ``max_onus``
    (1-256, default 64), ``description``."""
    return write(
        model=PonPort,
        tenant=tenant,
        instance=None,
        data=data,
        allowed=PON_PORT_FIELDS,
        required=("olt", "slot", "port"),
        clean=_clean_pon_port(tenant),
        actor=actor,
        action="pon_port",
    )


@integrity_conflicts()
@transaction.atomic
def update_pon_port(*, pon_port: PonPort, actor: Any = None, **data: Any) -> PonPort:
    """Change the given fields of a PON port (rules of ``create_pon_port``)."""
    return write(
        model=PonPort,
        tenant=pon_port.tenant,
        instance=pon_port,
        data=data,
        allowed=PON_PORT_FIELDS,
        required=(),
        clean=_clean_pon_port(pon_port.tenant),
        actor=actor,
        action="pon_port",
    )


def _clean_onu(tenant: Tenant) -> Callable[[dict[str, Any], Onu | None], dict[str, Any]]:
    def clean(data: dict[str, Any], onu: Onu | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "serial" in data:
            values["serial"] = normalise_onu_serial(data["serial"])
            inputs.taken(
                Onu.objects.for_tenant(tenant).filter(serial=values["serial"]),
                onu,
                f"an ONU with serial {values['serial']} exists",
                "serial",
            )
        if "model" in data:
            values["model"] = inputs.text(data["model"], "model", max_length=60)
        if "pon_port" in data:
            values["pon_port"] = optional_owned(tenant, PonPort, data["pon_port"], "pon_port")
        if "notes" in data:
            values["notes"] = inputs.text(data["notes"], "notes")
        return values

    return clean


@integrity_conflicts()
@transaction.atomic
def create_onu(*, tenant: Tenant, actor: Any = None, **data: Any) -> Onu:
    """Add an ONU to the stock (state ``in_stock``). Required: ``serial``
    (4-letter vendor id + 8 hex digits, unique within the tenant); optional
    ``model``, ``pon_port``, ``notes``. Raises InvalidInput or Conflict
    (``serial``)."""
    return write(
        model=Onu,
        tenant=tenant,
        instance=None,
        data=data,
        allowed=ONU_FIELDS,
        required=("serial",),
        clean=_clean_onu(tenant),
        actor=actor,
        action="onu",
    )


@integrity_conflicts()
@transaction.atomic
def update_onu(*, onu: Onu, actor: Any = None, **data: Any) -> Onu:
    """Change ``serial``, ``model``, ``pon_port`` or ``notes`` of an ONU (its
    state changes through ``change_onu_state`` and the assignment services)."""
    return write(
        model=Onu,
        tenant=onu.tenant,
        instance=onu,
        data=data,
        allowed=ONU_FIELDS,
        required=(),
        clean=_clean_onu(onu.tenant),
        actor=actor,
        action="onu",
    )


#: The stock transitions of an ONU that is not assigned, by name.
STOCK_TRANSITIONS = {
    "mark_faulty": "in stock -> faulty",
    "send_back": "in stock or faulty -> returned to the supplier",
    "restock": "faulty -> in stock (repaired)",
}


@transaction.atomic
def change_onu_state(*, onu: Onu, transition: str, reason: str = "", actor: Any = None) -> Onu:
    """Move an unassigned ONU along ``transition`` (a key of
    ``STOCK_TRANSITIONS``). Raises InvalidInput (``transition``) for an
    unknown one, InvalidTransition (``onu``) when its state does not allow
    it (an assigned ONU is released first)."""
    if transition not in STOCK_TRANSITIONS:
        raise InvalidInput(f"must be one of {', '.join(STOCK_TRANSITIONS)}", field="transition")
    reason = inputs.text(reason, "reason", max_length=inputs.TEXT_MAX_LENGTH)
    locked = Onu.objects.select_for_update().get(pk=onu.pk)
    before = audit.snapshot(locked)
    try:
        getattr(locked, transition)()
    except TransitionNotAllowed:
        raise InvalidTransition(
            f"ONU {locked.serial} is {OnuState(locked.state).label.lower()}: "
            f"{transition} goes {STOCK_TRANSITIONS[transition]}",
            field="onu",
        ) from None
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action=f"onu.{transition}",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
        reason=reason,
    )
    return locked
