"""Serializers of the vouchers API: plans, agents with their sales figures,
batches with their state counts, vouchers, and the inputs of the writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    InputSerializer,
    StrictCharField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.hotspot.models import Voucher, VoucherAgent, VoucherBatch, VoucherPlan
from ispstack.hotspot.vouchers import codes, selectors
from ispstack.hotspot.vouchers.services import AGENT_FIELDS, PLAN_FIELDS

PLAN_OUTPUT = ["id", *sorted(PLAN_FIELDS), "created_at", "updated_at"]


class VoucherPlanSerializer(serializers.ModelSerializer):
    """A voucher plan: seconds, bytes, kbit/s; ``price`` net of tax in ``currency`` units."""

    class Meta:
        model = VoucherPlan
        fields = PLAN_OUTPUT
        read_only_fields = fields


class VoucherPlanInputSerializer(InputSerializer):
    """Input of a voucher plan's creation or change (``services.validate_plan``)."""

    class Meta:
        model = VoucherPlan
        fields = sorted(PLAN_FIELDS)
        extra_kwargs = {f: {"required": False} for f in PLAN_FIELDS}


class AgentFiguresSerializer(serializers.Serializer):
    """An agent's sales in one currency: vouchers sold, net revenue, commission due."""

    currency = serializers.CharField()
    sold = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=4)
    commission_due = serializers.DecimalField(max_digits=14, decimal_places=4)


class _AgentListSerializer(serializers.ListSerializer):
    """A page of agents whose figures come from one query, not one per agent."""

    def to_representation(self, data: Any) -> list[Any]:
        agents = list(data.all() if hasattr(data, "all") else data)
        self.child.figures = selectors.figures_by_agent(agents)  # type: ignore[union-attr]
        return super().to_representation(agents)


class VoucherAgentSerializer(serializers.ModelSerializer):
    """A reseller with its sales figures per currency."""

    figures = serializers.SerializerMethodField()
    # Blank when the agent has none, which a format "email" string would refuse.
    email = serializers.CharField(read_only=True)

    class Meta:
        model = VoucherAgent
        fields = ["id", *sorted(AGENT_FIELDS), "figures", "created_at", "updated_at"]
        read_only_fields = fields
        list_serializer_class = _AgentListSerializer

    def get_figures(self, agent: VoucherAgent) -> list[dict[str, Any]]:
        known = getattr(self, "figures", {})
        figures = known[agent.pk] if agent.pk in known else selectors.agent_figures(agent)
        return list(AgentFiguresSerializer(figures, many=True).data)


class VoucherAgentInputSerializer(InputSerializer):
    """Input of an agent's creation or change."""

    class Meta:
        model = VoucherAgent
        fields = sorted(AGENT_FIELDS)
        extra_kwargs = {f: {"required": False} for f in AGENT_FIELDS}


class VoucherBatchSerializer(serializers.ModelSerializer):
    """A batch with how many of its vouchers are in each state."""

    states = serializers.SerializerMethodField()

    class Meta:
        model = VoucherBatch
        fields = [
            "id",
            "plan",
            "agent",
            "count",
            "prefix",
            "code_length",
            "alphabet",
            "unit_price",
            "currency",
            "tax_percent",
            "note",
            "states",
            "created_at",
        ]
        read_only_fields = fields

    def get_states(self, batch: VoucherBatch) -> dict[str, int]:
        return selectors.state_counts(batch)


class GenerateInputSerializer(Input):
    """Input of ``services.generate_batch``."""

    plan = TenantPrimaryKeyRelatedField(queryset=VoucherPlan.objects.all())
    count = StrictIntegerField(help_text=f"1 to {codes.MAX_BATCH}.")
    prefix = StrictCharField(max_length=8, required=False, allow_blank=True)
    code_length = StrictIntegerField(required=False)
    alphabet = StrictCharField(max_length=64, required=False)
    agent = TenantPrimaryKeyRelatedField(
        queryset=VoucherAgent.objects.all(), required=False, allow_null=True
    )
    note = StrictCharField(max_length=200, required=False, allow_blank=True)


class SellInputSerializer(Input):
    """Input of ``services.sell_batch``: how many (all new ones when left out) and to whom."""

    count = StrictIntegerField(required=False)
    agent = TenantPrimaryKeyRelatedField(
        queryset=VoucherAgent.objects.all(), required=False, allow_null=True
    )


class SoldSerializer(serializers.Serializer):
    sold = serializers.IntegerField()


class VoucherSerializer(serializers.ModelSerializer):
    """A voucher: used seconds and bytes at the last refresh, times aware UTC."""

    class Meta:
        model = Voucher
        fields = [
            "id",
            "batch",
            "code",
            "state",
            "sold_at",
            "first_login_at",
            "expires_at",
            "expired_reason",
            "used_seconds",
            "used_bytes",
            "created_at",
        ]
        read_only_fields = fields
