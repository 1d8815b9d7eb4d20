"""IPAM writes: create pools, allocate and release addresses under a lock."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import connection, transaction

from ispstack.core import audit
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.locks import tenant_lock
from ispstack.core.models import Tenant
from ispstack.network.models import IPAddress, IPPool

IPAM = "ipam"  # advisory lock purpose: creating a tenant's pools


def parse_cidr(value: Any) -> ipaddress.IPv4Network:
    """An IPv4 network in CIDR notation with no host bits set.

    Raises InvalidInput (field ``cidr``).
    """
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not a valid CIDR network ({exc})", field="cidr") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise InvalidInput("only IPv4 pools are supported", field="cidr")
    return network


def validate_pool(
    tenant: Tenant, data: dict[str, Any], instance: IPPool | None = None
) -> dict[str, Any]:
    """Check pool input; returns cleaned values. Raises InvalidInput or Conflict.

    A pool may not overlap another pool of the same tenant.
    """
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput("is required", field="name")
    network = parse_cidr(data.get("cidr"))
    gateway = data.get("gateway") or None
    if gateway:
        try:
            gw = ipaddress.IPv4Address(str(gateway))
        except ValueError:
            raise InvalidInput(f"'{gateway}' is not an IPv4 address", field="gateway") from None
        if gw not in network:
            raise InvalidInput(f"{gw} is outside {network}", field="gateway")
        gateway = str(gw)
    others = IPPool.objects.for_tenant(tenant).filter(name=name)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise Conflict(f"a pool named '{name}' exists", field="name")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM network_ippool"
            " WHERE tenant_id = %s AND cidr && %s::cidr AND id <> %s",
            [tenant.pk, str(network), instance.pk if instance else 0],
        )
        clash = cursor.fetchone()
    if clash:
        raise Conflict(f"{network} overlaps pool '{clash[0]}'", field="cidr")
    return {
        "name": name,
        "cidr": str(network),
        "gateway": gateway,
        "description": (data.get("description") or "").strip(),
    }


@integrity_conflicts()
@transaction.atomic
def create_pool(*, tenant: Tenant, actor: Any = None, **data: Any) -> IPPool:
    """Create an IPv4 pool from ``name``, ``cidr`` and an optional ``gateway``.

    Pools of a tenant are created one at a time (an advisory lock), so two
    overlapping pools created at once cannot both pass the overlap check.
    """
    tenant_lock(tenant, IPAM)
    pool = IPPool.objects.create(tenant=tenant, **validate_pool(tenant, data))
    audit.record(
        tenant=tenant, actor=actor, action="ip_pool.create", obj=pool, after=audit.snapshot(pool)
    )
    return pool


_NEXT_FREE_SQL = """
WITH p AS (
    SELECT set_masklen(network(cidr), 32) AS base, gateway,
           CASE WHEN masklen(cidr) <= 30 THEN 1 ELSE 0 END AS first_host,
           CASE WHEN masklen(cidr) <= 30 THEN (2::bigint ^ (32 - masklen(cidr)))::bigint - 2
                ELSE (2::bigint ^ (32 - masklen(cidr)))::bigint - 1 END AS last_host
    FROM network_ippool WHERE id = %s
)
SELECT host(p.base + s)
FROM p, generate_series(p.first_host, p.last_host) AS s
WHERE (p.gateway IS NULL OR p.base + s <> p.gateway)
  AND NOT EXISTS (
      SELECT 1 FROM network_ipaddress a WHERE a.pool_id = %s AND a.address = p.base + s
  )
ORDER BY s
LIMIT 1
"""


def allocate_address(*, pool: IPPool, assigned_to: str) -> IPAddress:
    """Allocate the lowest free address of ``pool`` to ``assigned_to``.

    The pool row is locked (``SELECT ... FOR UPDATE``) for the rest of the
    caller's transaction, so two concurrent allocations never get the same
    address. Raises Conflict (field ``pool``) when the pool is exhausted.
    Must run inside a transaction.
    """
    locked = IPPool.objects.select_for_update().get(pk=pool.pk)
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_FREE_SQL, [locked.pk, locked.pk])
        row = cursor.fetchone()
    if row is None:
        raise Conflict(f"pool '{locked.name}' ({locked.cidr}) has no free address", field="pool")
    return IPAddress.objects.create(
        tenant=locked.tenant, pool=locked, address=row[0], assigned_to=assigned_to
    )


def release_address(*, address: IPAddress) -> None:
    """Return ``address`` to its pool."""
    IPAddress.objects.filter(pk=address.pk).delete()
