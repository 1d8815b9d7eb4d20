"""Serializers of the network API: the NAS registry and the pools, their
utilisation, and the input of each write (types and lengths from the model's
columns, from ``network.nas`` where the column is unbounded text); the
services check their input again."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import InputSerializer, StrictCharField
from ispstack.network.models import IPPool, Nas, PrefixPool
from ispstack.network.nas import (
    DESCRIPTION_MAX_LENGTH,
    NAS_FIELDS,
    NASNAME_MAX_LENGTH,
    SECRET_LENGTH,
    SHORTNAME_MAX_LENGTH,
)
from ispstack.network.services import MAX_EXCLUDED


class NasSerializer(serializers.ModelSerializer):
    """A NAS; the shared secret can be written, never read."""

    secret = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = Nas
        fields = ["id", "nasname", "shortname", "type", "secret", "coa_port", "description"]


class NasInputSerializer(InputSerializer):
    """Input of ``POST nas/`` and ``PATCH nas/{id}/``."""

    # Declared rather than derived from the column: an address taken by any
    # tenant is the service's Conflict (409), not a uniqueness validator's 400.
    nasname = StrictCharField(
        max_length=NASNAME_MAX_LENGTH,
        help_text="The NAS's IPv4 or IPv6 address, the source of its RADIUS requests.",
    )
    secret = StrictCharField(
        min_length=SECRET_LENGTH[0],
        max_length=SECRET_LENGTH[1],
        trim_whitespace=False,
        help_text="RADIUS shared secret (RFC 2865), printable characters; never shown.",
    )

    class Meta:
        model = Nas
        fields = sorted(NAS_FIELDS)
        extra_kwargs = {
            "shortname": {"max_length": SHORTNAME_MAX_LENGTH},
            "description": {"max_length": DESCRIPTION_MAX_LENGTH},
            "coa_port": {
                "min_value": 1,
                "max_value": 65535,
                "help_text": "CoA/Disconnect port (RFC 5176); empty: 3799.",
            },
        }


class RevealedSecretSerializer(serializers.Serializer):
    """The NAS's shared secret, answered only to ``reveal-secret`` (audited)."""

    secret = serializers.CharField()


class IPPoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = IPPool
        fields = ["id", "name", "cidr", "gateway", "excluded", "description", "created_at"]


class PrefixPoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = PrefixPool
        fields = ["id", "name", "prefix", "assign_length", "kind", "description", "created_at"]


class UtilisationSerializer(serializers.Serializer):
    """How full a pool is, counted in units of ``/unit_length``: addresses
    (32) for IPv4 pools, prefixes of the pool's assigned length for IPv6."""

    unit_length = serializers.IntegerField(help_text="Length of the units counted (/32, /64 ...).")
    size = serializers.IntegerField(help_text="Units the pool can hand out.")
    allocated = serializers.IntegerField(help_text="Units handed out.")
    free = serializers.IntegerField(help_text="Units still free.")
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="Allocated in percent of size."
    )


class IPPoolInputSerializer(InputSerializer):
    """Input of ``POST ip-pools/`` and ``PATCH ip-pools/{id}/``: ``cidr`` an IPv4
    network /8 to /32; ``gateway`` and ``excluded`` addresses inside it."""

    class Meta:
        model = IPPool
        fields = ["name", "cidr", "gateway", "excluded", "description"]
        extra_kwargs = {"excluded": {"max_length": MAX_EXCLUDED}}


class PrefixPoolInputSerializer(InputSerializer):
    """Input of ``POST prefix-pools/``: an IPv6 ``prefix`` and the length of each
    prefix handed out (``framed``: /48 to /128, ``delegated``: /48 to /64)."""

    class Meta:
        model = PrefixPool
        fields = ["name", "prefix", "assign_length", "kind", "description"]


class PrefixPoolChangeSerializer(InputSerializer):
    """Input of ``PATCH prefix-pools/{id}/``: the name and description; the prefix,
    length and kind stay because subscriptions hold prefixes cut from them."""

    class Meta:
        model = PrefixPool
        fields = ["name", "description"]
