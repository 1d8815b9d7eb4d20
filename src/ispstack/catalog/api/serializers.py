"""Serializers of the catalog API: tax rates, plans, add-ons, promotions,
bundles as shown, and the input of their writes (types, lengths and ranges
from the model's columns)."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate
from ispstack.catalog.services import PLAN_FIELDS
from ispstack.core.api.fields import InputSerializer

_TENANT_CURRENCY = {"required": False, "help_text": "ISO 4217 code; default: the tenant's."}


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


class TaxRateInputSerializer(InputSerializer):
    """Input of ``POST tax-rates/``: a name and the rate in percent (0-100)."""

    class Meta:
        model = TaxRate
        fields = ["name", "rate"]


class PlanInputSerializer(InputSerializer):
    """Input of ``POST plans/`` and ``PATCH plans/{id}/``: speeds in kbit/s, the data
    cap in bytes, the price per month in the plan's currency."""

    class Meta:
        model = Plan
        fields = sorted(PLAN_FIELDS)
        extra_kwargs = {"currency": _TENANT_CURRENCY}


class AddOnInputSerializer(InputSerializer):
    """Input of ``POST addons/``."""

    class Meta:
        model = AddOn
        fields = ["code", "name", "monthly_price", "tax_rate", "currency", "cycle_months"]
        extra_kwargs = {"currency": _TENANT_CURRENCY}


class PromotionInputSerializer(InputSerializer):
    """Input of ``POST promotions/``: ``value`` is percent or an amount per kind."""

    class Meta:
        model = Promotion
        fields = ["code", "name", "kind", "value", "cycles"]


class BundleInputSerializer(InputSerializer):
    """Input of ``POST bundles/``: the plans and add-ons by id."""

    class Meta:
        model = Bundle
        fields = [
            "code",
            "name",
            "plans",
            "addons",
            "discount_kind",
            "discount_value",
            "requires_all_products",
        ]
