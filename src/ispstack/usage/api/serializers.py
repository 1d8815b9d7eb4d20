"""Serializers of the usage API: daily usage, the data cap, top-ups.

Output shapes, and the input of each write (types and ranges from the
columns the values land in); the services check their input again.
"""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from ispstack.core.api.fields import AmountField, Input, StrictDecimalField
from ispstack.usage.caps import MAX_BYTES
from ispstack.usage.models import TopUp
from ispstack.usage.selectors import GB


class TopUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopUp
        fields = ["id", "subscription", "cycle_start", "extra_bytes", "created_at"]


class TopUpInputSerializer(Input):
    """Input of ``POST subscriptions/{id}/topups/``."""

    # Volume is sold in decimal GB; a megabyte (3 decimals) is the finest step
    # that means anything, and the bytes must fit ``TopUp.extra_bytes`` (a bigint).
    gigabytes = StrictDecimalField(
        max_digits=13,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal(MAX_BYTES // GB),
        help_text="Extra volume for the current cycle, in GB (10^9 bytes).",
    )
    price = AmountField(
        required=False,
        allow_null=True,
        help_text="Charged on the next invoice, net of tax; none or 0: free.",
    )


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
