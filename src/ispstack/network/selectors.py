"""Reads of the IPAM and the inventory shared by the API, the admin and the
console: how full a pool is, and a site's pools; a plan's VLAN at a site."""

from __future__ import annotations

import ipaddress
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q

from ispstack.core.models import Tenant
from ispstack.network.models import IPPool, PlanVlan, PrefixPool, Site, Vlan
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


def site_pool_utilisation(tenant: Tenant, site: Site | None = None) -> list[dict[str, Any]]:
    """How full each site's IPv4 pools are together, one entry per site that
    has pools (only ``site`` when given), by site name: ``site``, ``pools``
    (how many), ``size`` (addresses they can hand out), ``allocated``,
    ``free`` and ``percent`` as in ``ip_pool_utilisation``. Pools without a
    site are left out."""
    pools = (
        IPPool.objects.for_tenant(tenant)
        .filter(site__isnull=False)
        .select_related("site")
        .annotate(allocated=Count("addresses"))
        .order_by("site__name", "site_id", "name")
    )
    if site is not None:
        pools = pools.filter(site=site)
    totals: dict[int, dict[str, Any]] = {}
    for pool in pools:
        entry = totals.setdefault(
            pool.site_id,  # type: ignore[arg-type]
            {"site": pool.site, "pools": 0, "size": 0, "allocated": 0},
        )
        entry["pools"] += 1
        entry["size"] += pool.capacity
        entry["allocated"] += pool.allocated
    return [
        {"site": e["site"], "pools": e["pools"], **_figures(e["size"], e["allocated"], 32)}
        for e in totals.values()
    ]


def vlan_for(site: Site, plan: Any) -> Vlan | None:
    """The VLAN of ``site`` that ``plan``'s subscribers go in: the plan's
    mapping at the site, else the site's default VLAN, else None."""
    mappings = {
        m.plan_id: m.vlan
        for m in PlanVlan.objects.filter(
            Q(plan=plan) | Q(plan__isnull=True), site=site
        ).select_related("vlan")
    }
    mapped: Vlan | None = mappings.get(plan.pk) or mappings.get(None)
    return mapped
