"""How a subscription reaches the network: its NAS and its IPv6 prefixes
(given, or the lowest free one of a prefix pool).

The NAS picks the vendor rate attributes FreeRADIUS sends (radius.attributes);
the IPv6 prefixes go out as ``Framed-IPv6-Prefix`` (RFC 3162, the access
link, usually a /64) and ``Delegated-IPv6-Prefix`` (RFC 4818, DHCPv6-PD for
the CPE's LAN, /48 to /64). A prefix belongs to one subscription at a time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction

from ispstack.core import audit, clock, events, inputs
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.network.models import Nas, PrefixPool
from ispstack.network.prefixes import ASSIGN_LENGTHS, allocate_prefix
from ispstack.subscriptions.events import AccessChanged
from ispstack.subscriptions.models import Subscription

ACCESS_FIELDS = (
    "nas",
    "framed_ipv6_prefix",
    "delegated_ipv6_prefix",
    "framed_ipv6_pool",
    "delegated_ipv6_pool",
)
# The subscription column holding the prefixes of each pool kind.
HOLDER_COLUMN = {
    PrefixPool.Kind.FRAMED: "framed_ipv6_prefix",
    PrefixPool.Kind.DELEGATED: "delegated_ipv6_prefix",
}
# One pool kind per prefix field; a field's allowed lengths are its pool kind's.
POOL_FOR = {f"{kind}_ipv6_pool": column for kind, column in HOLDER_COLUMN.items()}
PREFIX_LENGTHS = {column: ASSIGN_LENGTHS[kind] for kind, column in HOLDER_COLUMN.items()}


def _prefix(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        network = ipaddress.ip_network(inputs.text(value, field), strict=True)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not an IPv6 prefix ({exc})", field=field) from None
    if not isinstance(network, ipaddress.IPv6Network):
        raise InvalidInput("must be an IPv6 prefix", field=field)
    low, high = PREFIX_LENGTHS[field]
    if not low <= network.prefixlen <= high:
        raise InvalidInput(f"the prefix length must be /{low} to /{high}", field=field)
    return str(network)


def validate_access(
    tenant: Tenant, data: dict[str, Any], *, instance: Subscription | None = None
) -> dict[str, Any]:
    """Check ``nas``, ``framed_ipv6_prefix`` and ``delegated_ipv6_prefix`` where
    given; returns cleaned values. The NAS must be the tenant's; a prefix may
    not overlap one held by another subscription (any tenant: addresses are
    global). Raises InvalidInput, NotFound or Conflict."""
    clean: dict[str, Any] = {}
    if "nas" in data:
        nas = data["nas"]
        if nas in (None, ""):
            clean["nas"] = None
        else:
            if not isinstance(nas, Nas):
                nas = Nas.objects.filter(pk=inputs.whole_number(nas, "nas")).first()
            if nas is None or nas.tenant_id != tenant.pk:
                raise NotFound("no such NAS in this tenant", field="nas")
            clean["nas"] = nas
    for field in PREFIX_LENGTHS:
        if field not in data:
            continue
        prefix = _prefix(data[field], field)
        clean[field] = prefix
        if prefix is None:
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT username FROM subscriptions_subscription WHERE id <> %s AND"
                " (framed_ipv6_prefix && %s::cidr OR delegated_ipv6_prefix && %s::cidr)",
                [instance.pk if instance else 0, prefix, prefix],
            )
            clash = cursor.fetchone()
        if clash:
            raise Conflict(f"{prefix} overlaps a prefix of '{clash[0]}'", field=field)
    for pool_field, prefix_field in POOL_FOR.items():
        if data.get(pool_field) in (None, ""):
            continue
        if clean.get(prefix_field):
            raise InvalidInput(f"give {prefix_field} or a pool, not both", field=pool_field)
        pool = data[pool_field]
        if not isinstance(pool, PrefixPool):
            pool = (
                PrefixPool.objects.for_tenant(tenant)
                .filter(pk=inputs.whole_number(pool, pool_field))
                .first()
            )
        kind = prefix_field.split("_")[0]
        if pool is None or pool.tenant_id != tenant.pk or pool.kind != kind:
            raise NotFound(f"no such {kind} prefix pool in this tenant", field=pool_field)
        clean[pool_field] = pool
    prefixes = [clean.get(f) for f in PREFIX_LENGTHS]
    if all(prefixes) and ipaddress.ip_network(prefixes[0]).overlaps(  # type: ignore[arg-type]
        ipaddress.ip_network(prefixes[1])  # type: ignore[arg-type]
    ):
        raise InvalidInput("must not overlap the framed prefix", field="delegated_ipv6_prefix")
    return clean


def holders_of(column: str) -> Callable[[str], Iterable[str]]:
    """The prefixes of ``column`` held inside a network, by any tenant
    (a prefix has one holder whatever the tenant)."""

    def held_within(network: str) -> Iterable[str]:
        return (
            Subscription.objects.filter(**{f"{column}__within": network})
            .values_list(column, flat=True)
            .iterator()
        )

    return held_within


def assign_prefixes(clean: dict[str, Any]) -> dict[str, Any]:
    """Replace the pools in cleaned access input by a prefix allocated from
    each (``allocate_prefix``; the pools stay locked until commit)."""
    result = {k: v for k, v in clean.items() if k not in POOL_FOR}
    for pool_field, prefix_field in POOL_FOR.items():
        if clean.get(pool_field) is not None:
            result[prefix_field] = allocate_prefix(pool=clean[pool_field])
    return result


@integrity_conflicts()
@transaction.atomic
def change_access(*, subscription: Subscription, actor: Any = None, **data: Any) -> Subscription:
    """Set the NAS and / or IPv6 prefixes of a subscription (``ACCESS_FIELDS``;
    a ``*_pool`` field allocates the prefix from that pool).

    FreeRADIUS rows change in the same transaction; the open session is
    disconnected after commit so the subscriber comes back with them. A
    prefix another subscription took meanwhile answers Conflict (the
    database's exclusion constraint).
    """
    inputs.unknown_fields(data, ACCESS_FIELDS)
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    clean = assign_prefixes(validate_access(sub.tenant, data, instance=sub))
    if not clean:
        raise InvalidInput("give at least one of " + ", ".join(ACCESS_FIELDS), field="nas")
    before = audit.snapshot(sub)
    for field, value in clean.items():
        setattr(sub, field, value)
    sub.save(update_fields=[*clean, "updated_at"])
    audit.record(
        tenant=sub.tenant,
        actor=actor,
        action="subscription.change_access",
        obj=sub,
        before=before,
        after=audit.snapshot(sub),
    )
    events.publish(
        AccessChanged(
            tenant_id=sub.tenant_id, subscription_id=sub.pk, effective=clock.today(sub.tenant)
        )
    )
    return sub
