"""Serializers of the catalog API: tax rates, plans, add-ons, promotions, bundles.

Output shapes and the inputs of actions; writes are validated by services.
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate


class TaxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxRate
        fields = ["id", "name", "rate"]


class PlanSerializer(serializers.ModelSerializer):
    tax_rate = serializers.PrimaryKeyRelatedField(queryset=TaxRate.objects.all())

    class Meta:
        model = Plan
        exclude = ["tenant"]
        read_only_fields = ["created_at", "updated_at"]


class AddOnSerializer(serializers.ModelSerializer):
    class Meta:
        model = AddOn
        fields = [
            "id",
            "code",
            "name",
            "monthly_price",
            "currency",
            "tax_rate",
            "cycle_months",
            "is_active",
        ]


class PromotionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Promotion
        fields = ["id", "code", "name", "kind", "value", "cycles", "is_active"]


class BundleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bundle
        fields = [
            "id",
            "code",
            "name",
            "plans",
            "addons",
            "discount_kind",
            "discount_value",
            "requires_all_products",
            "is_active",
        ]
