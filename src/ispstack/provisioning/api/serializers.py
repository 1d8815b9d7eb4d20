"""Serializers of the provisioning API: leads, site surveys and their
photos, conversion, service orders and their steps."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.catalog.models import Plan
from ispstack.core.api.fields import (
    Input,
    InputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.customers.models import Customer
from ispstack.network.models import IPPool, PrefixPool, Sector, Site
from ispstack.provisioning.choices import SurveyOutcome
from ispstack.provisioning.models import Lead, OrderStep, ServiceOrder, SiteSurvey, SurveyPhoto
from ispstack.provisioning.services import LEAD_FIELDS
from ispstack.subscriptions.models import ConnectionType, LastMileTechnology

FINDINGS = ("fibre_available", "pole_distance_m", "obstacles", "install_minutes", "notes")


class LeadSerializer(serializers.ModelSerializer):
    # Read-only, the model's blank=True is lost: "" (no address given) may come back.
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            *LEAD_FIELDS,
            "coverage",
            "coverage_detail",
            "coverage_checked_at",
            "site",
            "customer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeadInputSerializer(InputSerializer):
    """Input of a lead's creation or change (``name`` required on creation)."""

    plan = TenantPrimaryKeyRelatedField(
        queryset=Plan.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Lead
        fields = list(LEAD_FIELDS)
        extra_kwargs = {f: {"required": False} for f in LEAD_FIELDS if f != "name"}


class SurveyPhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyPhoto
        fields = ["id", "content_type", "size", "created_at"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    photos = SurveyPhotoSerializer(many=True, read_only=True)
    # Empty until the survey is completed.
    outcome = serializers.ChoiceField(
        choices=SurveyOutcome.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = SiteSurvey
        fields = [
            "id",
            "lead",
            "site",
            "scheduled_at",
            "surveyor",
            "status",
            "outcome",
            *FINDINGS,
            "completed_at",
            "photos",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SurveyInputSerializer(InputSerializer):
    """Input of a survey's scheduling (``lead`` and ``scheduled_at`` required) or change."""

    lead = TenantPrimaryKeyRelatedField(queryset=Lead.objects.all(), required=False)
    surveyor = StrictIntegerField(required=False, allow_null=True, help_text="A staff user's id.")

    class Meta:
        model = SiteSurvey
        fields = ["lead", "scheduled_at", "surveyor", *FINDINGS]
        extra_kwargs = {f: {"required": False} for f in ["scheduled_at", *FINDINGS]}


class SurveyCompleteSerializer(InputSerializer):
    """Input of ``complete``: the outcome and the findings."""

    outcome = serializers.ChoiceField(choices=SurveyOutcome.choices)

    class Meta:
        model = SiteSurvey
        fields = ["outcome", *FINDINGS]
        extra_kwargs = {f: {"required": False} for f in FINDINGS}


class ReasonSerializer(Input):
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)


class PhotoUploadSerializer(Input):
    """A photo as a multipart file field ``image`` (JPEG, PNG or WebP)."""

    image = serializers.FileField(allow_empty_file=True)


class ConvertSerializer(Input):
    """Input of ``convert``: the subscription and what its order takes from."""

    plan = TenantPrimaryKeyRelatedField(
        queryset=Plan.objects.all(), required=False, help_text="Default: the lead's plan."
    )
    username = StrictCharField(max_length=64)
    password = StrictCharField(required=False, allow_blank=True, max_length=128)
    billing_day = StrictIntegerField(required=False, min_value=1, max_value=31)
    pool = TenantPrimaryKeyRelatedField(
        queryset=IPPool.objects.all(), required=False, allow_null=True
    )
    framed_ipv6_pool = TenantPrimaryKeyRelatedField(
        queryset=PrefixPool.objects.all(), required=False, allow_null=True
    )
    delegated_ipv6_pool = TenantPrimaryKeyRelatedField(
        queryset=PrefixPool.objects.all(), required=False, allow_null=True
    )
    cpe_serial = StrictCharField(required=False, allow_blank=True, max_length=64)
    technician = StrictIntegerField(required=False, allow_null=True, help_text="A staff user's id.")
    appointment_at = serializers.DateTimeField(required=False, allow_null=True)
    force = StrictBooleanField(
        required=False,
        default=False,
        help_text="Convert without a serviceable survey (needs provisioning.force_convert_lead).",
    )


class OrderInputSerializer(ConvertSerializer):
    """Input of ``POST service-orders/``: an order for an existing customer,
    without a lead (``provisioning.intake.order_for_customer``)."""

    customer = TenantPrimaryKeyRelatedField(queryset=Customer.objects.all())
    plan = TenantPrimaryKeyRelatedField(queryset=Plan.objects.all())
    force = None  # type: ignore[assignment]  # no survey to waive
    service_address_line1 = StrictCharField(required=False, allow_blank=True, max_length=200)
    service_city = StrictCharField(required=False, allow_blank=True, max_length=100)
    service_postal_code = StrictCharField(required=False, allow_blank=True, max_length=20)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, coerce_to_string=True
    )
    longitude = serializers.DecimalField(
        max_digits=10, decimal_places=6, required=False, allow_null=True, coerce_to_string=True
    )
    site = TenantPrimaryKeyRelatedField(
        queryset=Site.objects.all(),
        required=False,
        allow_null=True,
        help_text="Default: the nearest site covering the service point.",
    )
    sector = TenantPrimaryKeyRelatedField(
        queryset=Sector.objects.all(), required=False, allow_null=True
    )
    connection_type = serializers.ChoiceField(choices=ConnectionType.choices, required=False)
    last_mile_technology = serializers.ChoiceField(
        choices=LastMileTechnology.choices, required=False
    )


class OrderStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderStep
        fields = [
            "name",
            "position",
            "status",
            "attempts",
            "last_error",
            "started_at",
            "finished_at",
            "next_attempt_at",
            "result",
        ]
        read_only_fields = fields


class ServiceOrderSerializer(serializers.ModelSerializer):
    steps = OrderStepSerializer(many=True, read_only=True)
    username = serializers.CharField(source="subscription.username", read_only=True)

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "subscription",
            "username",
            "customer",
            "lead",
            "status",
            "pool",
            "framed_ipv6_pool",
            "delegated_ipv6_pool",
            "site",
            "vlan_id",
            "technician",
            "appointment_at",
            "cpe_serial",
            "wifi_ssid",
            "activated_on",
            "cancel_reason",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlannedStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    status = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())
