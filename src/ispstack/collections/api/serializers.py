"""Serializers of the collections API: dunning campaigns and executions.

Output shapes, and the input of every write (types, lengths and ranges from
the columns the values land in).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ispstack.collections import dunning
from ispstack.collections.models import (
    DunningAction,
    DunningCampaign,
    DunningExecution,
    DunningStep,
)
from ispstack.core.api.fields import (
    AmountField,
    BoundedDateField,
    Input,
    InputSerializer,
    StrictCharField,
)
from ispstack.customers.api.serializers import MAX_TAG_LENGTH, MAX_TAGS


class CampaignStatsSerializer(serializers.Serializer):
    """What a dunning campaign recovered (``collections.dunning.campaign_stats``)."""

    started = serializers.IntegerField(help_text="Executions started.")
    recovered = serializers.IntegerField(help_text="Executions whose debt was paid.")
    recovered_amount = serializers.DecimalField(
        max_digits=18, decimal_places=4, help_text="Sum recovered, in the tenant's currency."
    )
    recovery_rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Recovered / started, 0 to 1."
    )
    average_days_to_pay = serializers.FloatField(
        allow_null=True, help_text="Days from start to payment; null before the first recovery."
    )


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


_TEXTS = dunning.CONFIG_TEXTS
_TEMPLATE = "May use the placeholders {name}, {amount} and {account}."


class DunningStepConfigInputSerializer(Input):
    """A step's parameters; each action reads its own and refuses the others."""

    subject = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=_TEXTS[DunningAction.EMAIL]["subject"],
        help_text=f"email: the subject. {_TEMPLATE}",
    )
    body = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=_TEXTS[DunningAction.EMAIL]["body"],
        help_text=f"email: the text. {_TEMPLATE}",
    )
    text = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=_TEXTS[DunningAction.SMS]["text"],
        help_text=f"sms: the message. {_TEMPLATE}",
    )
    url = StrictCharField(
        required=False,
        max_length=_TEXTS[DunningAction.WEBHOOK]["url"],
        help_text="webhook: the http(s) URL the step is POSTed to as JSON.",
    )
    amount = AmountField(required=False, help_text="late_fee: the fee, in the tenant's currency.")
    description = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=_TEXTS[DunningAction.LATE_FEE]["description"],
        help_text="late_fee: the charge's description.",
    )


class DunningStepInputSerializer(InputSerializer):
    """One step of a new campaign."""

    config = DunningStepConfigInputSerializer(required=False)

    class Meta:
        model = DunningStep
        fields = ["delay_days", "action", "config"]


class DunningCampaignInputSerializer(InputSerializer):
    """Input of ``POST dunning-campaigns/``: the campaign and its ordered steps."""

    minimum_amount = AmountField(
        required=False, help_text="Overdue amount it needs, in the tenant's currency. Default 0."
    )
    exclude_tags = serializers.ListField(
        child=StrictCharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        help_text="Customers with any of these tags are left out.",
    )
    steps: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=DunningStepInputSerializer(),
        allow_empty=False,
        max_length=dunning.MAX_STEPS,
        help_text="In the order they run.",
    )

    class Meta:
        model = DunningCampaign
        fields = [
            "name",
            "trigger_after_days",
            "minimum_amount",
            "exclude_tags",
            "priority",
            "steps",
        ]


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


class PromiseInputSerializer(Input):
    """Input of ``POST dunning-executions/{id}/promise/``: pause until that date."""

    until = BoundedDateField(help_text="The execution pauses until this date.")
