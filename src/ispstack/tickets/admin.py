"""Back-office screens of the helpdesk: its configuration (teams, routing,
SLA policies, holidays, canned responses, settings) and a read-only view of
tickets, which are worked in the console."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin, TenantSettingsInline
from ispstack.tickets.models import (
    CannedResponse,
    Holiday,
    SlaPolicy,
    Team,
    TeamMember,
    Ticket,
    TicketRouting,
    TicketSettings,
)
from ispstack.tickets.models.settings import default_attachment_types, default_weekdays


class TeamMemberInline(admin.TabularInline):
    """The team's members, read only: members join and leave through the
    tickets services (API ``teams/{id}/members/``), which check the user is
    staff of the tenant and record it."""

    model = TeamMember
    extra = 0
    fields = ["user", "skills", "active"]
    readonly_fields = ("user", "skills", "active")
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(TenantScopedAdmin):
    list_display = ["name", "lead", "assignment_mode", "email"]
    search_fields = ["name"]
    inlines = [TeamMemberInline]


@admin.register(TicketRouting)
class TicketRoutingAdmin(TenantScopedAdmin):
    list_display = ["ticket_type", "team"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(TenantScopedAdmin):
    list_display = ["priority", "first_response_minutes", "resolution_minutes", "warn_percent"]


@admin.register(Holiday)
class HolidayAdmin(TenantScopedAdmin):
    list_display = ["day", "name"]
    date_hierarchy = "day"


@admin.register(CannedResponse)
class CannedResponseAdmin(TenantScopedAdmin):
    list_display = ["title", "team"]
    search_fields = ["title", "body"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyTenantAdmin):
    list_display = ["number", "subject", "ticket_type", "priority", "state", "team", "sla_due_at"]
    list_filter = ["state", "priority", "ticket_type"]
    search_fields = ["number", "subject"]


class CommaListField(forms.CharField):
    """A list typed as words separated by commas (``1, 2, 3`` or
    ``image/png, application/pdf``); ``whole`` turns each into an int when it
    is ASCII digits. The model's validators check the list."""

    def __init__(self, *, whole: bool = False, **kwargs: Any) -> None:
        self.whole = whole
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[Any]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return list(value)
        text = str(super().to_python(value) or "")
        parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
        if self.whole:
            return [int(p) if re.fullmatch(r"[0-9]{1,2}", p) else p for p in parts]
        return parts


class TicketSettingsForm(forms.ModelForm):
    business_days = CommaListField(
        whole=True,
        initial=default_weekdays,
        help_text="ISO weekdays separated by commas, 1 (Monday) to 7 (Sunday): 1, 2, 3, 4, 5.",
    )
    attachment_types = CommaListField(
        initial=default_attachment_types,
        help_text="MIME types separated by commas, checked against the file's content.",
    )

    class Meta:
        model = TicketSettings
        fields = ["business_days", "attachment_types"]


class TicketSettingsInline(TenantSettingsInline):
    """How the tenant runs its helpdesk, on the tenant's page."""

    model = TicketSettings
    form = TicketSettingsForm
    fieldsets = [
        (None, {"fields": ["number_format", "reopen_days"]}),
        ("Attachments", {"fields": ["max_attachment_bytes", "attachment_types"]}),
        (
            "Business hours",
            {
                "fields": [
                    "business_days",
                    "business_day_start",
                    "business_day_end",
                    "holiday_country",
                    "holiday_subdivision",
                ]
            },
        ),
    ]


register_settings_inline(TicketSettingsInline)


# The support mailboxes of email to ticket (registers their admin pages).
# Technicians and their appointments (registers their admin pages).
from ispstack.tickets.field import admin as field_admin  # noqa: E402, F401
from ispstack.tickets.mail import admin as mail_admin  # noqa: E402, F401
from ispstack.tickets.outages import admin as outages_admin  # noqa: E402, F401
