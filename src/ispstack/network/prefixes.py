"""IPv6 prefix pools: create, rename and delete them, hand out the lowest free
prefix under a lock, count the prefixes held."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from ispstack.core import audit, inputs
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.locks import tenant_lock
from ispstack.core.models import Tenant
from ispstack.network.models import PrefixPool
from ispstack.network.services import IPAM

# RFC 6177 (/48 to /56 per site) and RFC 4291 (a /64 per link) bound what a pool hands out.
ASSIGN_LENGTHS = {PrefixPool.Kind.FRAMED: (48, 128), PrefixPool.Kind.DELEGATED: (48, 64)}


def validate_prefix_pool(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    """Check pool input; returns cleaned values. Raises InvalidInput or Conflict.

    ``prefix`` is an IPv6 network without host bits; ``assign_length`` is
    longer than it and within the kind's range; pools of a tenant never overlap.
    """
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput("is required", field="name")
    kind = data.get("kind")
    if kind not in PrefixPool.Kind.values:
        raise InvalidInput("must be 'framed' or 'delegated'", field="kind")
    try:
        network = ipaddress.ip_network(str(data.get("prefix") or "").strip(), strict=True)
    except ValueError as exc:
        raise InvalidInput(
            f"'{data.get('prefix')}' is not a prefix ({exc})", field="prefix"
        ) from None
    if not isinstance(network, ipaddress.IPv6Network):
        raise InvalidInput("must be an IPv6 prefix", field="prefix")
    length = inputs.whole_number(data.get("assign_length"), "assign_length")
    low, high = ASSIGN_LENGTHS[kind]
    if not max(low, network.prefixlen + 1) <= length <= high:
        raise InvalidInput(
            f"must be /{max(low, network.prefixlen + 1)} to /{high} for a {kind} pool in {network}",
            field="assign_length",
        )
    if PrefixPool.objects.for_tenant(tenant).filter(name=name).exists():
        raise Conflict(f"a prefix pool named '{name}' exists", field="name")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM network_prefixpool WHERE tenant_id = %s AND prefix && %s::cidr",
            [tenant.pk, str(network)],
        )
        clash = cursor.fetchone()
    if clash:
        raise Conflict(f"{network} overlaps prefix pool '{clash[0]}'", field="prefix")
    return {
        "name": name,
        "prefix": str(network),
        "assign_length": length,
        "kind": kind,
        "description": (data.get("description") or "").strip(),
    }


@integrity_conflicts()
@transaction.atomic
def create_prefix_pool(*, tenant: Tenant, actor: Any = None, **data: Any) -> PrefixPool:
    """Create an IPv6 prefix pool from ``name``, ``prefix``, ``assign_length``, ``kind``.

    Pools of a tenant are created one at a time (the advisory lock of IPv4
    pools), so two overlapping pools created at once cannot both pass.
    """
    tenant_lock(tenant, IPAM)
    pool = PrefixPool.objects.create(tenant=tenant, **validate_prefix_pool(tenant, data))
    audit.record(
        tenant=tenant,
        actor=actor,
        action="prefix_pool.create",
        obj=pool,
        after=audit.snapshot(pool),
    )
    return pool


#: A function of a network (``"2001:db8::/48"``) giving the prefixes held
#: inside it, by any tenant (a prefix has one holder whatever the tenant).
HeldWithin = Callable[[str], Iterable[str]]
_holders: dict[str, HeldWithin] = {}


def register_holders(kind: str, held_within: HeldWithin) -> None:
    """Say who holds prefixes of pools of ``kind`` (a ``PrefixPool.Kind``).
    The holders (subscriptions) sit on a higher floor, so their app registers
    them from its ``AppConfig.ready``."""
    _holders[kind] = held_within


def _held(pool: PrefixPool) -> list[ipaddress.IPv6Network]:
    held_within = _holders.get(pool.kind)
    if held_within is None:
        raise ImproperlyConfigured(f"no holder of {pool.kind} prefixes is registered")
    return [ipaddress.IPv6Network(prefix) for prefix in held_within(pool.prefix)]


def allocate_prefix(*, pool: PrefixPool) -> str:
    """The lowest prefix of ``pool`` not held, as ``2001:db8:1::/56``.

    The held prefixes are read once the pool row is locked, and the row stays
    locked for the caller's transaction, so two sign-ups never get the same
    prefix. Raises Conflict (field ``pool``) when the pool is full. Must run
    inside a transaction.
    """
    locked = PrefixPool.objects.select_for_update().get(pk=pool.pk)
    held = _held(locked)
    length = locked.assign_length
    # A held prefix blocks the candidate containing it; a shorter one (set by
    # hand) blocks every candidate inside it. Each held prefix blocks at most
    # one step of the walk unless it is shorter, so the walk stays short even
    # in a /32 of /64s.
    blocked = {p.supernet(new_prefix=length) for p in held if p.prefixlen >= length}
    wide = [p for p in held if p.prefixlen < length]
    for candidate in ipaddress.ip_network(locked.prefix).subnets(new_prefix=length):
        if candidate not in blocked and not any(candidate.subnet_of(w) for w in wide):  # type: ignore[arg-type]
            return str(candidate)
    raise Conflict(f"prefix pool '{locked.name}' ({locked.prefix}) is full", field="pool")


PREFIX_POOL_FIELDS = ("name", "description")


@integrity_conflicts()
@transaction.atomic
def update_prefix_pool(*, pool: PrefixPool, actor: Any = None, **data: Any) -> PrefixPool:
    """Rename ``pool`` or change its description; its prefix, assigned length
    and kind stay, because subscriptions hold prefixes cut from them.

    Raises InvalidInput (an unknown field, an empty name) or Conflict (the
    name is another pool's).
    """
    inputs.unknown_fields(data, set(PREFIX_POOL_FIELDS))
    pool = PrefixPool.objects.select_for_update().get(pk=pool.pk)
    before = audit.snapshot(pool)
    if "name" in data:
        name = inputs.text(data["name"], "name", required=True)
        taken = PrefixPool.objects.for_tenant(pool.tenant).filter(name=name).exclude(pk=pool.pk)
        if taken.exists():
            raise Conflict(f"a prefix pool named '{name}' exists", field="name")
        pool.name = name
    if "description" in data:
        pool.description = inputs.text(data["description"], "description")
    inputs.check_values(PrefixPool, {"name": pool.name, "description": pool.description})
    pool.save()
    audit.record(
        tenant=pool.tenant,
        actor=actor,
        action="prefix_pool.update",
        obj=pool,
        before=before,
        after=audit.snapshot(pool),
    )
    return pool


@transaction.atomic
def delete_prefix_pool(*, pool: PrefixPool, actor: Any = None) -> None:
    """Delete ``pool``. Refused (Conflict) while a subscription of its tenant
    holds a prefix inside it: the prefix would be left without a pool.
    """
    pool = PrefixPool.objects.select_for_update().get(pk=pool.pk)
    held = held_prefixes(pool)
    if held:
        raise Conflict(
            f"prefix pool '{pool.name}' has {held} prefix(es) held by subscriptions: a pool in"
            " use is not deleted; terminate or re-address its subscriptions first",
            field=None,
        )
    audit.record(
        tenant=pool.tenant,
        actor=actor,
        action="prefix_pool.delete",
        obj=pool,
        before=audit.snapshot(pool),
    )
    pool.delete()


def held_prefixes(pool: PrefixPool) -> int:
    """How many prefixes of ``pool.assign_length`` inside ``pool`` are taken by
    the prefixes held in it.

    A held prefix as long as ``assign_length`` or longer takes the one
    containing it (two /64s in the same /56 take one /56); a shorter one,
    set by hand, takes every one inside it (a /48 in a pool of /56s takes
    256). Held prefixes never overlap (the subscriptions' exclusion
    constraints), so the counts add up.
    """
    length = pool.assign_length
    held = _held(pool)
    narrow = {p.supernet(new_prefix=length) for p in held if p.prefixlen >= length}
    wide = sum(2 ** (length - p.prefixlen) for p in held if p.prefixlen < length)
    return len(narrow) + wide
