"""IPAM (IPv4 pools and the addresses allocated from them, IPv6 prefix pools),
the NAS registry, and the network inventory (``network.inventory``)."""

from __future__ import annotations

import ipaddress

from django.contrib.postgres.fields import ArrayField
from django.db import models

from ispstack.core.fields import CidrField, InetField
from ispstack.core.models import Tenant, TenantScopedModel
from ispstack.network.constraints import CONSTRAINT_RULES
from ispstack.network.inventory import (
    RELEASE_STATES,
    Device,
    DeviceRole,
    Onu,
    OnuState,
    PlanVlan,
    PonPort,
    Sector,
    Site,
    SiteKind,
    Vlan,
)

__all__ = [
    "RELEASE_STATES",
    "Device",
    "DeviceRole",
    "IPAddress",
    "IPPool",
    "Nas",
    "NasType",
    "Onu",
    "OnuState",
    "PlanVlan",
    "PonPort",
    "PrefixPool",
    "Sector",
    "Site",
    "SiteKind",
    "Vlan",
]


class IPPool(TenantScopedModel):
    """An IPv4 network from which subscribers get static addresses.

    The network and broadcast addresses of a /30 or larger are never
    handed out (RFC 3021 lets a /31 use both of its addresses), nor is
    ``gateway`` when set, nor any address in ``excluded`` (routers, servers
    and other addresses the ISP keeps out of the pool).
    """

    name = models.CharField(max_length=80)
    cidr = CidrField()
    gateway = InetField(protocol="IPv4", null=True, blank=True)
    excluded = ArrayField(
        InetField(protocol="IPv4"),
        default=list,
        blank=True,
        help_text="Addresses of the network never handed out (besides the gateway).",
    )
    description = models.CharField(max_length=200, blank=True)
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ip_pools",
        help_text="The site whose subscribers take addresses from this pool.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "IP pool"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="network_ippool_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cidr})"

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)

    @property
    def reserved(self) -> set[ipaddress.IPv4Address]:
        """The addresses of the network never handed out: network and broadcast
        (for a /30 or larger), the gateway and the excluded addresses."""
        net = self.network
        kept = {ipaddress.IPv4Address(a) for a in [self.gateway, *self.excluded] if a}
        if net.prefixlen <= 30:
            kept |= {net.network_address, net.broadcast_address}
        return {address for address in kept if address in net}

    @property
    def capacity(self) -> int:
        """How many addresses this pool can hand out."""
        return self.network.num_addresses - len(self.reserved)


class IPAddress(TenantScopedModel):
    """An address allocated from a pool; the row exists while it is in use.

    ``assigned_to`` names the holder (a subscription's username) for people
    reading the IPAM; the holder keeps the foreign key on its side.
    """

    pool = models.ForeignKey(IPPool, on_delete=models.PROTECT, related_name="addresses")
    address = InetField(protocol="IPv4")
    assigned_to = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["pool", "address"]
        verbose_name = "IP address"
        verbose_name_plural = "IP addresses"
        constraints = [
            models.UniqueConstraint(fields=["pool", "address"], name="network_ipaddress_unique"),
        ]
        # Who holds an address, and which addresses are in a network
        # (``address__within``, a range scan): the console's search.
        indexes = [models.Index(fields=["address"], name="network_ipaddress_addr_idx")]

    def __str__(self) -> str:
        return self.address


class PrefixPool(TenantScopedModel):
    """An IPv6 block from which subscribers get prefixes of ``assign_length``:
    ``framed`` for the access link (Framed-IPv6-Prefix, usually /64) or
    ``delegated`` for DHCPv6-PD to the CPE (Delegated-IPv6-Prefix, /48 to /64).

    A prefix is in use while a subscription holds it; the subscription keeps
    it in ``framed_ipv6_prefix`` / ``delegated_ipv6_prefix``.
    """

    class Kind(models.TextChoices):
        FRAMED = "framed", "Framed-IPv6-Prefix (access link)"
        DELEGATED = "delegated", "Delegated-IPv6-Prefix (DHCPv6-PD)"

    name = models.CharField(max_length=80)
    prefix = CidrField()
    assign_length = models.PositiveSmallIntegerField(help_text="Length of each prefix handed out.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "IPv6 prefix pool"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="network_prefixpool_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix} /{self.assign_length})"


#: Help text of the columns ispstack adds to a FreeRADIUS table.
EXTRA = "Not in the FreeRADIUS schema (ispstack)."


class NasType(models.TextChoices):
    """The vendor families whose rate attributes ispstack writes; the value is
    FreeRADIUS's ``nas.type`` column (its ``nas_type`` client setting)."""

    MIKROTIK = "mikrotik", "MikroTik (Mikrotik-Rate-Limit)"
    CISCO = "cisco", "Cisco ISG (Cisco-Account-Info policer)"
    JUNIPER = "juniper", "Juniper (ERX-Service-Activate)"
    OTHER = "other", "Generic (WISPr / RFC 4679 data rates)"


class Nas(models.Model):
    """A NAS (router, BRAS) allowed to talk to FreeRADIUS (``read_clients``).

    FreeRADIUS's own table ``nas`` with its columns and types (its
    ``schema.sql`` for PostgreSQL), so its stock ``read_clients`` query works;
    it lives in network, below subscriptions, because a subscription points
    at the NAS it connects through.

    ``nasname`` is unique across tenants: FreeRADIUS's ``read_clients`` loads
    every row of ``nas`` as a client keyed by its address, whatever the
    tenant, so an address can belong to one tenant only. The unique index
    replaces the stock schema's plain ``nas_nasname`` index.
    """

    id = models.AutoField(primary_key=True)
    nasname = models.TextField(help_text="IP address or hostname of the NAS.")
    shortname = models.TextField()
    type = models.TextField(
        choices=NasType.choices,
        default=NasType.OTHER,
        db_default=NasType.OTHER.value,
        help_text="Vendor family: picks the rate attributes of its subscribers.",
    )
    ports = models.IntegerField(null=True, blank=True)
    secret = models.TextField()
    # FreeRADIUS's schema has nullable text columns; we keep its types.
    server = models.TextField(null=True, blank=True)  # noqa: DJ001
    community = models.TextField(null=True, blank=True)  # noqa: DJ001
    description = models.TextField(null=True, blank=True)  # noqa: DJ001
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text=EXTRA
    )
    coa_port = models.IntegerField(null=True, blank=True, help_text=f"CoA/Disconnect port. {EXTRA}")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="nas", help_text=EXTRA
    )
    device = models.OneToOneField(
        Device,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nas",
        help_text=f"The inventory device this NAS is. {EXTRA}",
    )

    class Meta:
        db_table = "nas"
        verbose_name = "NAS"
        verbose_name_plural = "NAS"
        permissions = [("reveal_secret", "Can reveal RADIUS shared secrets and passwords")]
        constraints = [
            models.UniqueConstraint(
                fields=["nasname"],
                name="nas_nasname_unique",
                violation_error_message=str(CONSTRAINT_RULES["nas_nasname_unique"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shortname} ({self.nasname})"
