"""Serializers of the field-service API."""

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
from ispstack.core.models import User
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription
from ispstack.tickets.field.services import TECHNICIAN_FIELDS, TRANSITION_CHOICES
from ispstack.tickets.models.field import (
    Appointment,
    AppointmentKind,
    AppointmentPhoto,
    Skill,
    Technician,
    TimeOff,
)
from ispstack.tickets.models.tickets import Ticket


class TechnicianSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Technician
        fields = ["id", "user", "name", *TECHNICIAN_FIELDS]
        read_only_fields = fields


class TechnicianInputSerializer(InputSerializer):
    """Input of ``POST technicians/`` and ``PATCH technicians/{id}/``."""

    user = TenantPrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    skills = serializers.ListField(
        child=serializers.ChoiceField(choices=Skill.choices), required=False, max_length=20
    )
    working_hours = serializers.JSONField(required=False)
    service_area = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = Technician
        fields = ["user", *TECHNICIAN_FIELDS]


class TimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "technician", "start_date", "end_date", "reason"]
        read_only_fields = fields


class TimeOffInputSerializer(InputSerializer):
    """Input of ``POST technicians/{id}/time-off/`` (tenant-local dates, both included)."""

    class Meta:
        model = TimeOff
        fields = ["start_date", "end_date", "reason"]


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppointmentPhoto
        fields = ["id", "name", "content_type", "size"]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    map_url = serializers.CharField(read_only=True)
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "kind",
            "state",
            "ticket",
            "ticket_number",
            "technician",
            "customer",
            "subscription",
            "address",
            "latitude",
            "longitude",
            "map_url",
            "starts_at",
            "ends_at",
            "required_skills",
            "notes",
            "completion_notes",
            "serials",
            "completed_at",
            "photos",
        ]
        read_only_fields = fields


class _JobInput(Input):
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    customer = TenantPrimaryKeyRelatedField(queryset=Customer.objects.all())
    duration_minutes = StrictIntegerField(min_value=15, max_value=720, required=False)
    required_skills = serializers.ListField(
        child=serializers.ChoiceField(choices=Skill.choices), required=False, max_length=20
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )


class BookInputSerializer(_JobInput):
    """Input of ``POST appointments/``: book a visit, auto-assigned unless
    ``technician`` is named; ``ticket`` is opened when not given."""

    ticket = TenantPrimaryKeyRelatedField(queryset=Ticket.objects.all(), required=False)
    subscription = TenantPrimaryKeyRelatedField(queryset=Subscription.objects.all(), required=False)
    technician = TenantPrimaryKeyRelatedField(queryset=Technician.objects.all(), required=False)
    starts_at = serializers.DateTimeField(required=False)
    notes = StrictCharField(required=False, allow_blank=True, max_length=2000)


class SuggestInputSerializer(_JobInput):
    """Input of ``POST appointments/suggest-slots/``."""

    after = serializers.DateTimeField(required=False)
    days = StrictIntegerField(min_value=1, max_value=90, required=False)
    limit = StrictIntegerField(min_value=1, max_value=50, required=False)


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    technician = serializers.IntegerField()


class AppointmentTransitionInputSerializer(Input):
    """Input of ``POST appointments/{id}/transition/``."""

    action = serializers.ChoiceField(choices=TRANSITION_CHOICES)
    reason = StrictCharField(required=False, allow_blank=True, max_length=1000)


class RescheduleInputSerializer(Input):
    """Input of ``POST appointments/{id}/reschedule/``: the new start and,
    for a dispatcher, another technician."""

    starts_at = serializers.DateTimeField()
    technician = TenantPrimaryKeyRelatedField(queryset=Technician.objects.all(), required=False)


class CompleteInputSerializer(Input):
    """Input of ``POST appointments/{id}/complete/`` (multipart for photos)."""

    notes = StrictCharField(required=False, allow_blank=True, max_length=10000)
    serials = serializers.ListField(
        child=StrictCharField(max_length=64), required=False, max_length=50
    )
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=10)

    def to_internal_value(self, data: Any) -> Any:
        # Multipart repeats a key per value; JSON sends lists.
        if hasattr(data, "getlist"):
            data = {
                key: data.getlist(key) if key in ("serials", "photos") else data.get(key)
                for key in data
            }
        return super().to_internal_value(data)
