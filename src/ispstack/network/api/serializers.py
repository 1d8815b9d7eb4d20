"""Serializers of the network API: pools as shown, their utilisation, and the
input of their writes (types and lengths from the model's columns)."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import InputSerializer
from ispstack.network.models import IPPool, PrefixPool
from ispstack.network.services import MAX_EXCLUDED


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
