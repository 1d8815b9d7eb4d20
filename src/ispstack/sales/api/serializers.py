"""Serializers of the sales API: quotes with their lines and totals, and the
inputs of their writes."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion
from ispstack.core.api.fields import (
    AmountField,
    Input,
    InputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.customers.models import Customer
from ispstack.provisioning.models import Lead
from ispstack.sales.models import LineKind, Quote, QuoteLine
from ispstack.sales.services import QUOTE_FIELDS


def _money() -> serializers.DecimalField:
    """A read-only amount in the quote's currency units (a money column's shape)."""
    return serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True)


class QuoteLineSerializer(serializers.ModelSerializer):
    """A line as priced: amounts in the quote's currency, ``tax_rate`` percent."""

    total = _money()

    class Meta:
        model = QuoteLine
        fields = [
            "id",
            "position",
            "kind",
            "plan_line",
            "plan",
            "addon",
            "promotion",
            "bundle",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "spread_over_term",
            "tax_rate",
            "net_amount",
            "tax_amount",
            "total",
        ]
        read_only_fields = fields


class TaxSummarySerializer(serializers.Serializer):
    """Net and tax of one rate (percent), in the quote's currency."""

    rate = serializers.CharField()
    net = serializers.CharField()
    tax = serializers.CharField()


class QuoteSerializer(serializers.ModelSerializer):
    """A quote version with its lines and totals (currency units of ``currency``)."""

    lines = QuoteLineSerializer(many=True, read_only=True)
    taxes = TaxSummarySerializer(many=True, read_only=True)
    recurring_total = _money()
    one_time_total = _money()
    subtotal = _money()
    tax_total = _money()
    total = _money()
    # Read-only, the model's blank=True is lost: "" may come back.
    prospect_email = serializers.CharField(read_only=True)
    accepted_ip = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "version",
            "revises",
            "status",
            *QUOTE_FIELDS,
            "priced_on",
            "recurring_net",
            "recurring_tax",
            "recurring_total",
            "one_time_net",
            "one_time_tax",
            "one_time_total",
            "subtotal",
            "tax_total",
            "total",
            "taxes",
            "lines",
            "sent_at",
            "accepted_by_name",
            "accepted_at",
            "accepted_ip",
            "accepted_on_paper",
            "declined_at",
            "declined_reason",
            "result_customer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class QuoteInputSerializer(InputSerializer):
    """Input of a quote's creation or change: one recipient (a customer, a
    lead, or a prospect's name and email), currency, validity, notes."""

    customer = TenantPrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False, allow_null=True
    )
    lead = TenantPrimaryKeyRelatedField(
        queryset=Lead.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Quote
        fields = list(QUOTE_FIELDS)
        extra_kwargs = {f: {"required": False} for f in QUOTE_FIELDS}


class LineInputSerializer(Input):
    """Input of a new line (see ``sales.services.add_line``)."""

    kind = serializers.ChoiceField(choices=LineKind.choices)
    plan = TenantPrimaryKeyRelatedField(queryset=Plan.objects.all(), required=False)
    addon = TenantPrimaryKeyRelatedField(queryset=AddOn.objects.all(), required=False)
    promotion = TenantPrimaryKeyRelatedField(queryset=Promotion.objects.all(), required=False)
    bundle = TenantPrimaryKeyRelatedField(queryset=Bundle.objects.all(), required=False)
    plan_line = StrictIntegerField(required=False, help_text="The id of the plan line it goes on.")
    description = StrictCharField(max_length=300, required=False)
    quantity = StrictDecimalField(max_digits=10, decimal_places=2, required=False)
    unit_price = AmountField(required=False)
    discount_percent = StrictDecimalField(max_digits=5, decimal_places=2, required=False)
    spread_over_term = StrictBooleanField(
        required=False,
        help_text="A one-time item that is part of the service (an installation fee): "
        "its revenue is recognised over the contract's term.",
    )


class DeclineSerializer(Input):
    """Why the customer declined."""

    reason = StrictCharField(max_length=2000)


class PaperAcceptanceSerializer(Input):
    """The signer's full name as written on the paper signature."""

    name = StrictCharField(max_length=200)


class RemoveLineSerializer(Input):
    """The line to remove (its id); a plan line takes what goes on it along."""

    line = StrictIntegerField(min_value=1, max_value=2**63 - 1)


class SendSerializer(Input):
    """Nothing to give: the quote goes to its recipient's email."""


class ResendSerializer(Input):
    """Nothing to give: the sent quote goes again to its recipient's email."""


class ReviseSerializer(Input):
    """Nothing to give: the new version copies the lines of this one."""
