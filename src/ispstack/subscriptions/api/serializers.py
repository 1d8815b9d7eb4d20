"""Serializers of the subscriptions API: the subscription, its lifecycle,
billing day, access, add-ons, promotions and scheduled plan changes.

Output shapes and the inputs of actions; writes are validated by services.
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.catalog.models import Plan
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import (
    PlanChange,
    Subscription,
    SubscriptionAddOn,
    SubscriptionPromotion,
    SuspensionCause,
)


class SubscriptionSerializer(serializers.ModelSerializer):
    ip_address = serializers.CharField(source="ip_address.address", read_only=True, default=None)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())

    class Meta:
        model = Subscription
        fields = [
            "id",
            "customer",
            "plan",
            "username",
            "password",
            "pool",
            "ip_address",
            "billing_day",
            "start_date",
            "nas",
            "framed_ipv6_prefix",
            "delegated_ipv6_prefix",
            "status",
            "suspension_cause",
            "suspended_at",
            "end_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "suspension_cause",
            "suspended_at",
            "end_date",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "pool": {"required": False},
            "billing_day": {"required": False},
            "start_date": {"required": False},
        }


class TransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class SuspendSerializer(TransitionSerializer):
    cause = serializers.ChoiceField(
        choices=SuspensionCause.choices, default=SuspensionCause.ADMINISTRATIVE
    )


class BillingDaySerializer(serializers.Serializer):
    billing_day = serializers.IntegerField()


class PlanChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanChange
        fields = [
            "id",
            "subscription",
            "from_plan",
            "to_plan",
            "effective_date",
            "status",
            "reason",
            "created_at",
        ]


class AttachAddOnSerializer(serializers.Serializer):
    addon = serializers.IntegerField()
    quantity = serializers.IntegerField(default=1)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)


class SubscriptionAddOnSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionAddOn
        fields = ["id", "subscription", "addon", "quantity", "start_date", "end_date"]


class GrantPromotionSerializer(serializers.Serializer):
    promotion = serializers.IntegerField()
    start_date = serializers.DateField(required=False, allow_null=True, default=None)


class SubscriptionPromotionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionPromotion
        fields = ["id", "subscription", "promotion", "start_date", "cycles_used"]


class AccessSerializer(serializers.Serializer):
    """Input of ``subscriptions/{id}/access/``: a NAS, IPv6 prefixes, or prefix
    pools to allocate them from."""

    nas = serializers.IntegerField(required=False, allow_null=True)
    framed_ipv6_prefix = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    delegated_ipv6_prefix = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    framed_ipv6_pool = serializers.IntegerField(required=False, allow_null=True)
    delegated_ipv6_pool = serializers.IntegerField(required=False, allow_null=True)
