"""The adapters a tenant's service orders use, built from its
``ProvisioningSettings``."""

from __future__ import annotations

import dataclasses

from ispstack.core.models import Tenant
from ispstack.provisioning import selectors
from ispstack.provisioning.adapters.base import (
    AcsAdapter,
    AdapterError,
    Adapters,
    IpamAdapter,
    RouterAdapter,
)
from ispstack.provisioning.adapters.genieacs import GenieAcs
from ispstack.provisioning.adapters.mikrotik import MikroTikRouter
from ispstack.provisioning.adapters.netbox import NetBoxIpam
from ispstack.provisioning.models import IpamBackend


def adapters_for(tenant: Tenant) -> Adapters:
    """The tenant's adapters: ``ipam`` is NetBox when it is the chosen IPAM
    (None: ispstack's own pools), ``acs`` GenieACS when its URL is set,
    ``router`` the MikroTik router when its host is set (in dry run unless
    the tenant turned it off). Builds clients only; nothing is contacted.

    Raises AdapterError (retryable=False) when NetBox is chosen but its URL,
    token or prefix is missing (settings saved around their validation).
    """
    row = selectors.settings_for(tenant)
    ipam = None
    if row.ipam_backend == IpamBackend.NETBOX:
        missing = [
            name
            for name in ("netbox_url", "netbox_token", "netbox_prefix")
            if not getattr(row, name)
        ]
        if missing:
            raise AdapterError(
                f"NetBox is the IPAM but {', '.join(missing)} is not set",
                system="netbox",
                retryable=False,
            )
        ipam = NetBoxIpam(
            url=row.netbox_url,
            token=row.netbox_token,
            default_prefix=row.netbox_prefix,
            tag=row.netbox_tag,
            timeout=row.timeout_seconds,
        )
    acs = (
        GenieAcs(
            url=row.genieacs_url,
            username=row.genieacs_username,
            password=row.genieacs_password,
            timeout=row.timeout_seconds,
        )
        if row.genieacs_url
        else None
    )
    router = (
        MikroTikRouter(
            host=row.mikrotik_host,
            port=row.mikrotik_port,
            username=row.mikrotik_username,
            password=row.mikrotik_password,
            suspended_list=row.mikrotik_suspended_list,
            dry_run=row.router_dry_run,
            timeout=row.timeout_seconds,
        )
        if row.mikrotik_host
        else None
    )
    return Adapters(ipam=ipam, acs=acs, router=router)


@dataclasses.dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of ``check_connections`` for one system: ``ok`` and what
    answered, or the error."""

    system: str
    ok: bool
    detail: str


def check_connections(tenant: Tenant) -> list[ConnectionCheck]:
    """Contacts each system the tenant configured (a status read, a device
    query, a router login: nothing changes) and reports each outcome; an
    empty list when none is configured. Never raises AdapterError."""
    try:
        adapters = adapters_for(tenant)
    except AdapterError as exc:
        return [ConnectionCheck(system=exc.system, ok=False, detail=str(exc))]
    results = []
    named: list[tuple[str, IpamAdapter | AcsAdapter | RouterAdapter | None]] = [
        ("netbox", adapters.ipam),
        ("genieacs", adapters.acs),
        ("mikrotik", adapters.router),
    ]
    for system, adapter in named:
        if adapter is None:
            continue
        try:
            results.append(ConnectionCheck(system=system, ok=True, detail=adapter.check()))
        except AdapterError as exc:
            results.append(ConnectionCheck(system=system, ok=False, detail=str(exc)))
    return results
