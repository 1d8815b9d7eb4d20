"""Serializers of the plan change requests' staff API."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import Input, StrictCharField
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.portal.models import PlanChangeRequest


class PlanChangeRequestSerializer(serializers.ModelSerializer):
    """A request as the back office reads it; ``monthly_difference`` is net,
    in ``currency`` units (> 0: the new plan costs more)."""

    requested_by_email = serializers.EmailField(
        source="requested_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PlanChangeRequest
        fields = [
            "id",
            "customer",
            "subscription",
            "from_plan",
            "to_plan",
            "timing",
            "effective_date",
            "monthly_difference",
            "currency",
            "state",
            "reason",
            "requested_by",
            "requested_by_email",
            "decided_by",
            "decided_at",
            "applied_at",
            "cancelled_at",
            "plan_change",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RejectInputSerializer(Input):
    """Input of ``POST plan-change-requests/{id}/reject/``."""

    reason = StrictCharField(max_length=TEXT_MAX_LENGTH, help_text="Sent to the customer.")
