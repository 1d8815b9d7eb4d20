"""Serializers of the helpdesk API: tickets with their messages and
attachments, teams, canned responses and SLA policies, and the input of each
write (types and lengths from the model's columns; the services check again)."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    InputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.core.models import User
from ispstack.tickets.choices import AssignmentMode, Priority, TicketType
from ispstack.tickets.models import (
    Attachment,
    CannedResponse,
    SlaPolicy,
    Team,
    TeamMember,
    Ticket,
    TicketMessage,
)


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "description",
            "ticket_type",
            "priority",
            "state",
            "source",
            "customer",
            "subscription",
            "contact_email",
            "service_address",
            "affected_services",
            "device_serials",
            "team",
            "assignee",
            "follow_up_of",
            "outage",
            "created_at",
            "updated_at",
            "first_response_due_at",
            "first_response_at",
            "first_response_breached",
            "sla_due_at",
            "sla_breached",
            "sla_paused_minutes",
            "resolved_at",
            "closed_at",
            "resolution_time_minutes",
        ]


class TicketInputSerializer(InputSerializer):
    """Input of ``POST tickets/`` and ``PATCH tickets/{id}/``."""

    affected_services = serializers.ListField(
        child=StrictCharField(max_length=100), max_length=100, required=False
    )
    device_serials = serializers.ListField(
        child=StrictCharField(max_length=100), max_length=100, required=False
    )

    class Meta:
        model = Ticket
        fields = [
            "subject",
            "description",
            "ticket_type",
            "priority",
            "customer",
            "subscription",
            "contact_email",
            "service_address",
            "affected_services",
            "device_serials",
            "team",
            "assignee",
        ]
        extra_kwargs = {"subject": {"required": True}}


class TicketUpdateSerializer(TicketInputSerializer):
    """Input of ``PATCH tickets/{id}/`` (team and assignee: ``assign``)."""

    class Meta(TicketInputSerializer.Meta):
        fields = [f for f in TicketInputSerializer.Meta.fields if f not in ("team", "assignee")]


class MessageSerializer(serializers.ModelSerializer):
    author_label = serializers.CharField(read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "ticket", "kind", "body", "author", "author_email", "author_label"]
        fields += ["created_at"]


class MessageInputSerializer(Input):
    """Input of ``reply`` and ``note``."""

    body = StrictCharField(max_length=TEXT_MAX_LENGTH)


class AssignInputSerializer(Input):
    """Input of ``assign``: a team and/or an assignee (null clears)."""

    team = TenantPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    assignee = TenantPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )


class TransitionInputSerializer(Input):
    """Input of the state actions: an optional reason for the log."""

    reason = StrictCharField(max_length=1000, required=False, allow_blank=True)


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "ticket", "message", "filename", "content_type", "size", "created_at"]


class AttachmentInputSerializer(Input):
    """Input of ``POST tickets/{id}/attachments/`` (multipart): the file,
    checked against the tenant's size and type limits by the service."""

    file = serializers.FileField(allow_empty_file=True)


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "team", "user", "skills", "active"]


class TeamSerializer(serializers.ModelSerializer):
    members = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "email", "lead", "assignment_mode", "members"]


class TeamInputSerializer(InputSerializer):
    """Input of ``POST teams/`` and ``PATCH teams/{id}/``."""

    class Meta:
        model = Team
        fields = ["name", "email", "lead", "assignment_mode"]
        extra_kwargs = {
            "assignment_mode": {"help_text": ", ".join(AssignmentMode.values)},
        }


class MemberInputSerializer(Input):
    """Input of ``POST teams/{id}/members/``: a staff user, skills, active."""

    user = TenantPrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    skills = serializers.ListField(
        child=StrictCharField(max_length=100), max_length=100, required=False
    )
    active = StrictBooleanField(required=False, default=True)


class MemberRemovalSerializer(Input):
    """Input of ``POST teams/{id}/remove-member/``: the staff user to take out."""

    user = TenantPrimaryKeyRelatedField(queryset=User.objects.all())


class RoutingInputSerializer(Input):
    """Input of ``POST teams/{id}/route/``: a ticket type the team owns from now on."""

    ticket_type = serializers.ChoiceField(choices=TicketType.choices)


class CannedResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ["id", "title", "body", "team"]


class CannedResponseInputSerializer(InputSerializer):
    class Meta:
        model = CannedResponse
        fields = ["title", "body", "team"]


class SlaPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = ["id", "priority", "first_response_minutes", "resolution_minutes", "warn_percent"]


class SlaPolicyInputSerializer(Input):
    """Input of ``POST sla-policies/`` (creates or replaces the policy of a priority)."""

    priority = serializers.ChoiceField(choices=Priority.choices)
    first_response_minutes = StrictIntegerField(min_value=1, max_value=527040)
    resolution_minutes = StrictIntegerField(min_value=1, max_value=527040)
    warn_percent = StrictIntegerField(min_value=1, max_value=99, required=False, default=80)
