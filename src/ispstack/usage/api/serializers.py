"""Serializers of the usage API: daily usage, the data cap, top-ups.

Output shapes and the inputs of actions; writes are validated by services.
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.usage.models import TopUp


class TopUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopUp
        fields = ["id", "subscription", "cycle_start", "extra_bytes", "created_at"]


class TopUpCreateSerializer(serializers.Serializer):
    gigabytes = serializers.CharField()
    price = serializers.CharField(required=False, allow_blank=True, default="")


class DailyUsageSerializer(serializers.Serializer):
    """One day of a subscription's usage (tenant-local date), in bytes."""

    day = serializers.DateField()
    input_octets = serializers.IntegerField(help_text="Sent by the subscriber (upload).")
    output_octets = serializers.IntegerField(help_text="Received by the subscriber (download).")
    total_octets = serializers.IntegerField()


class CapStatusSerializer(serializers.Serializer):
    """The current billing cycle against the data cap."""

    cycle_start = serializers.DateField()
    cycle_end = serializers.DateField()
    used_bytes = serializers.IntegerField()
    allowance_bytes = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    cap_policy = serializers.CharField()
    restriction = serializers.CharField(allow_null=True)


class UsageSerializer(serializers.Serializer):
    """``subscriptions/{id}/usage/``: the cycle's standing and the daily rows."""

    cycle = CapStatusSerializer()
    days = DailyUsageSerializer(many=True)
