"""MAC addresses as RouterOS writes them (netaddr reads the notations)."""

from __future__ import annotations

from typing import Any

import netaddr

from ispstack.core.errors import InvalidInput


def normalise_mac(value: Any, field: str = "mac") -> str:
    """A 48-bit MAC address in any common notation (``aa-bb-cc-dd-ee-ff``,
    ``aabb.ccdd.eeff``, ``AA:BB:...``) as RouterOS writes it: upper case
    with colons. Raises InvalidInput (``field``) otherwise, EUI-64 included."""
    text = str(value or "").strip()
    if not text or len(text) > 17 or text.isdigit():
        raise InvalidInput("not a MAC address (AA:BB:CC:DD:EE:FF)", field=field)
    try:
        eui = netaddr.EUI(text, version=48)
    except (netaddr.AddrFormatError, TypeError, ValueError):
        raise InvalidInput("not a MAC address (AA:BB:CC:DD:EE:FF)", field=field) from None
    return str(eui.format(netaddr.mac_unix_expanded)).upper()
