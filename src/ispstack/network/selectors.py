"""Reads of the IPAM shared by the API and the admin: how full a pool is."""

from __future__ import annotations

import ipaddress
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ispstack.network.models import IPPool, PrefixPool
from ispstack.network.prefixes import held_prefixes


def _figures(size: int, allocated: int, unit_length: int) -> dict[str, Any]:
    # A percentage for people to read, to two decimals; it is not money, so
    # core.money's rounding does not apply.
    percent = Decimal(0) if size == 0 else Decimal(allocated * 100) / Decimal(size)
    return {
        "unit_length": unit_length,
        "size": size,
        "allocated": allocated,
        "free": size - allocated,
        "percent": percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
    }


def ip_pool_utilisation(pool: IPPool) -> dict[str, Any]:
    """How full an IPv4 pool is, in addresses (``unit_length`` 32).

    ``size`` is what the pool can hand out (its addresses less the network,
    broadcast, gateway and excluded addresses), ``allocated`` what it has
    handed out, ``free`` the difference and ``percent`` allocated / size in
    percent, to two decimals.
    """
    return _figures(pool.capacity, pool.addresses.count(), 32)


def prefix_pool_utilisation(pool: PrefixPool) -> dict[str, Any]:
    """How full an IPv6 prefix pool is, in prefixes of its ``assign_length``
    (``unit_length``): ``size`` is 2^(assign_length - the pool's length),
    ``allocated`` the prefixes held inside it (see
    ``network.prefixes.held_prefixes``), ``free`` and ``percent`` as for
    IPv4 pools.
    """
    network = ipaddress.IPv6Network(pool.prefix)
    size = 2 ** (pool.assign_length - network.prefixlen)
    return _figures(size, held_prefixes(pool), pool.assign_length)
