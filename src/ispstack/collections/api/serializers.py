"""Serializers of the collections API: dunning campaigns and executions.

Output shapes and the inputs of actions; writes are validated by services.
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.collections.models import DunningCampaign, DunningExecution, DunningStep


class DunningStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningStep
        fields = ["position", "delay_days", "action", "config"]


class DunningCampaignSerializer(serializers.ModelSerializer):
    steps = DunningStepSerializer(many=True, read_only=True)

    class Meta:
        model = DunningCampaign
        fields = [
            "id",
            "name",
            "trigger_after_days",
            "minimum_amount",
            "exclude_tags",
            "priority",
            "is_active",
            "steps",
        ]


class DunningStepInputSerializer(serializers.Serializer):
    delay_days = serializers.IntegerField(min_value=0, default=0)
    action = serializers.CharField()
    config = serializers.DictField(required=False, default=dict)


class DunningCampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField()
    trigger_after_days = serializers.IntegerField(min_value=0, default=1)
    minimum_amount = serializers.CharField(default="0")
    exclude_tags = serializers.ListField(child=serializers.CharField(), default=list)
    priority = serializers.IntegerField(default=0)
    steps = DunningStepInputSerializer(many=True)


class DunningExecutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningExecution
        fields = [
            "id",
            "campaign",
            "customer",
            "status",
            "next_position",
            "started_on",
            "next_action_on",
            "finished_on",
            "outstanding_amount",
            "recovered_amount",
            "promise_to_pay_until",
            "canceled_reason",
        ]


class PromiseSerializer(serializers.Serializer):
    until = serializers.DateField()
