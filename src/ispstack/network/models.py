"""IPAM: IPv4 pools and the addresses allocated from them."""

from __future__ import annotations

import ipaddress

from django.contrib.postgres.fields import ArrayField
from django.db import models

from ispstack.core.fields import CidrField, InetField
from ispstack.core.models import TenantScopedModel


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
