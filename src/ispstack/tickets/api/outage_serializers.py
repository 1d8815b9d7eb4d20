"""Serializers of the outages API and the input of each write."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    StrictBooleanField,
    StrictCharField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.network.models import Device, Nas, Sector, Site
from ispstack.tickets.models import Outage, OutageCause, OutageImpact


class OutageSerializer(serializers.ModelSerializer):
    scope_kind = serializers.CharField(read_only=True)
    scope_label = serializers.CharField(read_only=True)

    class Meta:
        model = Outage
        fields = [
            "id",
            "number",
            "state",
            "cause",
            "description",
            "scope_kind",
            "scope_label",
            "site",
            "sector",
            "nas",
            "device",
            "started_at",
            "expected_end_at",
            "resolved_at",
            "notify_customers",
            "affected_count",
            "created_by",
            "resolved_by",
            "created_at",
            "updated_at",
        ]


class OutageImpactSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutageImpact
        fields = [
            "id",
            "subscription",
            "customer",
            "started_at",
            "ended_at",
            "minutes",
            "notified_start_at",
            "notified_end_at",
        ]


class OutageInputSerializer(Input):
    """Input of ``POST outages/``: exactly one of ``site``, ``sector``,
    ``nas``, ``device`` (ids of the tenant), the cause, and optionally a
    description for the customers, the start (ISO 8601 with offset; in the
    future: planned) and the expected end."""

    site = TenantPrimaryKeyRelatedField(queryset=Site.objects.all(), required=False)
    sector = TenantPrimaryKeyRelatedField(queryset=Sector.objects.all(), required=False)
    nas = TenantPrimaryKeyRelatedField(queryset=Nas.objects.all(), required=False)
    device = TenantPrimaryKeyRelatedField(queryset=Device.objects.all(), required=False)
    cause = serializers.ChoiceField(choices=OutageCause.choices)
    description = StrictCharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)
    started_at = serializers.DateTimeField(required=False)
    expected_end_at = serializers.DateTimeField(required=False, allow_null=True)
    notify_customers = StrictBooleanField(required=False, default=True)


class OutageUpdateSerializer(Input):
    """Input of ``PATCH outages/{id}/``: a new expected end, description or
    cause; ``notify`` tells the customers again."""

    expected_end_at = serializers.DateTimeField(required=False, allow_null=True)
    description = StrictCharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)
    cause = serializers.ChoiceField(choices=OutageCause.choices, required=False)
    notify = StrictBooleanField(required=False, default=False)


class OutageResolveSerializer(Input):
    """Input of ``resolve``: when service came back (default now), a note for the log."""

    resolved_at = serializers.DateTimeField(required=False)
    note = StrictCharField(max_length=1000, required=False, allow_blank=True)


class OutageCancelSerializer(Input):
    """Input of ``cancel``: a note for the log."""

    note = StrictCharField(max_length=1000, required=False, allow_blank=True)
