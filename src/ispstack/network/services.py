"""IPAM writes: create, change and delete pools, allocate and release addresses
under a lock."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import connection, transaction
from django.db.models import ProtectedError

from ispstack.core import audit, inputs
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.locks import tenant_lock
from ispstack.core.models import Tenant
from ispstack.network.models import IPAddress, IPPool, Site
from ispstack.network.sites import optional_owned

IPAM = "ipam"  # advisory lock purpose: creating a tenant's pools


# RFC 1918's largest private block is a /8; a pool wider than that is a typo,
# and the lowest-free-address search would walk millions of candidates.
WIDEST_POOL = 8
# A pool keeps a handful of addresses for routers and servers; more than this
# many is a pool that should be split.
MAX_EXCLUDED = 256


def parse_cidr(value: Any) -> ipaddress.IPv4Network:
    """An IPv4 network in CIDR notation with no host bits set, /8 to /32.

    Raises InvalidInput (field ``cidr``).
    """
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not a valid CIDR network ({exc})", field="cidr") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise InvalidInput("only IPv4 pools are supported", field="cidr")
    if network.prefixlen < WIDEST_POOL:
        raise InvalidInput(f"must be a /{WIDEST_POOL} or longer", field="cidr")
    return network


def _host(value: Any, network: ipaddress.IPv4Network, field: str) -> ipaddress.IPv4Address:
    """``value`` as an IPv4 address inside ``network``. Raises InvalidInput (``field``)."""
    try:
        address = ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise InvalidInput(f"'{value}' is not an IPv4 address", field=field) from None
    if address not in network:
        raise InvalidInput(f"{address} is outside {network}", field=field)
    return address


def validate_pool(
    tenant: Tenant, data: dict[str, Any], instance: IPPool | None = None
) -> dict[str, Any]:
    """Check pool input; returns cleaned values. Raises InvalidInput or Conflict.

    ``cidr`` is an IPv4 network /8 to /32; ``gateway`` and each of
    ``excluded`` (at most ``MAX_EXCLUDED`` addresses) lie inside it. ``site``
    (optional, a site of the tenant or its id) is where the pool serves, for
    the site's pool utilisation. A pool
    may not overlap another pool of the same tenant, nor share its name.
    When ``instance`` is given (a change), every address it has handed out
    must stay a usable address of the changed pool.
    """
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput("is required", field="name")
    network = parse_cidr(data.get("cidr"))
    gateway = data.get("gateway") or None
    if gateway:
        gateway = str(_host(gateway, network, "gateway"))
    raw_excluded = data.get("excluded") or []
    if not isinstance(raw_excluded, list | tuple):
        raise InvalidInput("must be a list of IPv4 addresses", field="excluded")
    if len(raw_excluded) > MAX_EXCLUDED:
        raise InvalidInput(f"may list at most {MAX_EXCLUDED} addresses", field="excluded")
    excluded = sorted({_host(a, network, "excluded") for a in raw_excluded})
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
    clean = {
        "name": name,
        "cidr": str(network),
        "gateway": gateway,
        "excluded": [str(a) for a in excluded],
        "description": (data.get("description") or "").strip(),
        "site": optional_owned(tenant, Site, data.get("site"), "site"),
    }
    if instance is not None:
        _check_allocations_fit(instance, IPPool(**clean))
    return clean


def _check_allocations_fit(pool: IPPool, changed: IPPool) -> None:
    """Raise Conflict when an address ``pool`` handed out would fall outside
    ``changed`` or onto one of its reserved addresses (gateway, excluded,
    network, broadcast): a holder's address is never taken back by an edit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT host(address), assigned_to FROM network_ipaddress WHERE pool_id = %s"
            " AND (NOT address <<= %s::cidr OR host(address) = ANY(%s)) ORDER BY address LIMIT 1",
            [pool.pk, changed.cidr, [str(a) for a in changed.reserved]],
        )
        stranded = cursor.fetchone()
    if stranded:
        address, holder = stranded
        field = "cidr"
        if changed.gateway == address:
            field = "gateway"
        elif address in changed.excluded:
            field = "excluded"
        raise Conflict(
            f"{address} is handed out (to '{holder}'): a change may not take back an address"
            " in use",
            field=field,
        )


@integrity_conflicts()
@transaction.atomic
def create_pool(*, tenant: Tenant, actor: Any = None, **data: Any) -> IPPool:
    """Create an IPv4 pool from ``name``, ``cidr`` and the optional ``gateway``,
    ``excluded``, ``description`` and ``site`` (see ``validate_pool``).

    Pools of a tenant are created one at a time (an advisory lock), so two
    overlapping pools created at once cannot both pass the overlap check.
    """
    tenant_lock(tenant, IPAM)
    pool = IPPool.objects.create(tenant=tenant, **validate_pool(tenant, data))
    audit.record(
        tenant=tenant, actor=actor, action="ip_pool.create", obj=pool, after=audit.snapshot(pool)
    )
    return pool


POOL_FIELDS = ("name", "cidr", "gateway", "excluded", "description", "site")


@integrity_conflicts()
@transaction.atomic
def update_pool(*, pool: IPPool, actor: Any = None, **data: Any) -> IPPool:
    """Change the given fields of ``pool`` (those of ``POOL_FIELDS``); the rest
    keep their values. The rules are ``validate_pool``'s, including that no
    address in use leaves the pool. Raises InvalidInput or Conflict.

    Takes the tenant's pool lock (overlap check) and the pool row's lock
    (allocations), in the order ``create_pool`` and ``allocate_address`` do.
    """
    inputs.unknown_fields(data, set(POOL_FIELDS))
    tenant_lock(pool.tenant, IPAM)
    pool = IPPool.objects.select_for_update().get(pk=pool.pk)
    before = audit.snapshot(pool)
    current = {field: getattr(pool, field) for field in POOL_FIELDS}
    for field, value in validate_pool(pool.tenant, {**current, **data}, instance=pool).items():
        setattr(pool, field, value)
    pool.save()
    audit.record(
        tenant=pool.tenant,
        actor=actor,
        action="ip_pool.update",
        obj=pool,
        before=before,
        after=audit.snapshot(pool),
    )
    return pool


@transaction.atomic
def delete_pool(*, pool: IPPool, actor: Any = None) -> None:
    """Delete ``pool``. Refused (Conflict) while it has addresses handed out, or
    while subscriptions (terminated ones included) still name it: their
    history says which pool their address came from.
    """
    pool = IPPool.objects.select_for_update().get(pk=pool.pk)
    allocated = pool.addresses.count()
    if allocated:
        raise Conflict(
            f"pool '{pool.name}' has {allocated} address(es) handed out: a pool in use"
            " is not deleted; terminate or move its subscriptions first",
            field=None,
        )
    before = audit.snapshot(pool)
    audit.record(tenant=pool.tenant, actor=actor, action="ip_pool.delete", obj=pool, before=before)
    try:
        pool.delete()
    except ProtectedError as exc:
        raise Conflict(
            f"pool '{before['name']}' is named by {len(exc.protected_objects)} subscription(s),"
            " terminated ones included: a pool their history points at is not deleted",
            field=None,
        ) from None


_NEXT_FREE_SQL = """
WITH p AS (
    SELECT set_masklen(network(cidr), 32) AS base, gateway, excluded,
           CASE WHEN masklen(cidr) <= 30 THEN 1 ELSE 0 END AS first_host,
           CASE WHEN masklen(cidr) <= 30 THEN (2::bigint ^ (32 - masklen(cidr)))::bigint - 2
                ELSE (2::bigint ^ (32 - masklen(cidr)))::bigint - 1 END AS last_host
    FROM network_ippool WHERE id = %s
)
SELECT host(p.base + s)
FROM p, generate_series(p.first_host, p.last_host) AS s
WHERE (p.gateway IS NULL OR p.base + s <> p.gateway)
  AND p.base + s <> ALL(p.excluded)
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
