"""Serializers of the captive portal's and MAC onboarding's API."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    InputSerializer,
    StrictBooleanField,
    StrictCharField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.hotspot.models import CaptiveUser, MacProfile, RouterSecret, WalledGardenEntry
from ispstack.network.models import Nas


class CaptiveUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaptiveUser
        fields = [
            "id",
            "email",
            "phone",
            "mac_address",
            "username",
            "status",
            "verified_at",
            "terms_version",
            "terms_accepted_at",
            "terms_accepted_ip",
            "last_login_at",
            "created_at",
        ]
        read_only_fields = fields


class CaptiveStatusSerializer(Input):
    status = serializers.ChoiceField(choices=["active", "disabled"])


class WalledGardenSerializer(serializers.ModelSerializer):
    class Meta:
        model = WalledGardenEntry
        fields = ["id", "kind", "value", "comment", "nas", "site", "created_at"]
        read_only_fields = fields


class WalledGardenScriptSerializer(serializers.Serializer):
    """The RouterOS script of a router's walled garden (``nas`` null: every router's entries)."""

    nas = serializers.IntegerField(allow_null=True)
    script = serializers.CharField()


class WalledGardenInputSerializer(InputSerializer):
    class Meta:
        model = WalledGardenEntry
        fields = ["kind", "value", "comment", "nas", "site"]


class MacProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = MacProfile
        fields = [
            "id",
            "mac_address",
            "last_ip",
            "hostname",
            "nas",
            "first_seen",
            "last_seen",
            "mac_auth",
            "captive_user",
            "subscription",
        ]
        read_only_fields = fields


class MacAuthSerializer(Input):
    mac_auth = StrictBooleanField()


class RouterSecretSerializer(serializers.ModelSerializer):
    """A router's key; ``secret`` is only in the answer of create and rotate."""

    class Meta:
        model = RouterSecret
        fields = ["id", "nas", "key_id", "allow_token", "rotated_at", "created_at"]
        read_only_fields = fields


class RouterSecretRevealSerializer(RouterSecretSerializer):
    secret = StrictCharField(read_only=True)

    class Meta(RouterSecretSerializer.Meta):
        fields = [*RouterSecretSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class RouterSecretInputSerializer(InputSerializer):
    # Declared, so that a NAS with a secret is the service's 409, not DRF's 400.
    nas = TenantPrimaryKeyRelatedField(queryset=Nas.objects.all())

    class Meta:
        model = RouterSecret
        fields = ["nas", "allow_token"]


class HotspotSessionSerializer(serializers.Serializer):
    """A hotspot session from radacct; bytes in GB (10^9), duration in seconds."""

    radacctid = serializers.IntegerField()
    username = serializers.CharField()
    mac_address = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    nas_ip_address = serializers.IPAddressField()
    start = serializers.DateTimeField(allow_null=True)
    stop = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField()
    input_gb = serializers.DecimalField(max_digits=14, decimal_places=3)
    output_gb = serializers.DecimalField(max_digits=14, decimal_places=3)
