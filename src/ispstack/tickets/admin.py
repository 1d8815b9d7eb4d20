"""Back-office screens of the helpdesk: its configuration (teams, routing,
SLA policies, holidays, canned responses, settings) and a read-only view of
tickets, which are worked in the console.

Every save and delete goes through the helpdesk's services
(``tickets.services``, ``tickets.configuration``): they check what the API
checks and write the audit row. A form asks the service first, in a
transaction rolled back (``ConfigForm``), so a refusal shows on its field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    ServiceModelForm,
    TenantScopedAdmin,
    TenantSettingsInline,
)
from ispstack.tickets import configuration, services
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


class ConfigForm(ServiceModelForm):
    """A configuration row's form whose ``write`` is the service call that
    saves it; ``clean`` runs it once in a transaction rolled back, so the
    service's refusal shows on the field it names."""

    def write(self, tenant: Any, data: dict[str, Any], actor: Any) -> Any:
        """Save through the service; returns the row."""
        raise NotImplementedError

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        with transaction.atomic():
            self.write(tenant, data, None)
            transaction.set_rollback(True)


class ConfigAdmin(TenantScopedAdmin):
    """Saves with the form's service call, deletes with
    ``configuration.delete_config``: both audited."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k != "tenant"}
        obj.pk = form.write(form.form_tenant(), data, request.user).pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        configuration.delete_config(row=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for row in queryset:
            self.delete_model(request, row)


class TeamForm(ConfigForm):
    class Meta:
        model = Team
        fields = ["tenant", "name", "email", "lead", "assignment_mode"]

    def write(self, tenant: Any, data: dict[str, Any], actor: Any) -> Any:
        if self.instance.pk:
            return services.update_team(team=self.instance, actor=actor, **data)
        return services.create_team(tenant=tenant, actor=actor, **data)


@admin.register(Team)
class TeamAdmin(ConfigAdmin):
    form = TeamForm
    list_display = ["name", "lead", "assignment_mode", "email"]
    search_fields = ["name"]
    inlines = [TeamMemberInline]


class RoutingForm(ConfigForm):
    class Meta:
        model = TicketRouting
        fields = ["tenant", "ticket_type", "team"]

    def write(self, tenant: Any, data: dict[str, Any], actor: Any) -> Any:
        ticket_type = data.get("ticket_type") or self.instance.ticket_type
        return services.route_type(
            tenant=tenant, ticket_type=ticket_type, team=data.get("team"), actor=actor
        )


@admin.register(TicketRouting)
class TicketRoutingAdmin(ConfigAdmin):
    form = RoutingForm
    list_display = ["ticket_type", "team"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # One row per type: a row changes its team, never its type.
        return ["ticket_type"] if obj is not None else []


class SlaPolicyForm(ConfigForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "tenant",
            "priority",
            "first_response_minutes",
            "resolution_minutes",
            "warn_percent",
        ]

    def write(self, tenant: Any, data: dict[str, Any], actor: Any) -> Any:
        values = {k: v for k, v in data.items() if k != "priority"}
        priority = data.get("priority") or self.instance.priority
        return services.set_sla_policy(tenant=tenant, priority=priority, actor=actor, **values)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigAdmin):
    form = SlaPolicyForm
    list_display = ["priority", "first_response_minutes", "resolution_minutes", "warn_percent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["priority"] if obj is not None else []


class HolidayForm(ConfigForm):
    class Meta:
        model = Holiday
        fields = ["tenant", "day", "name"]

    def write(self, tenant: Any, data: dict[str, Any], actor: Any) -> Any:
        return configuration.save_holiday(
            tenant=tenant,
            holiday=self.instance if self.instance.pk else None,
            actor=actor,
            **data,
        )


@admin.register(Holiday)
class HolidayAdmin(ConfigAdmin):
    form = HolidayForm
    list_display = ["day", "name"]
    date_hierarchy = "day"


class CannedResponseForm(ConfigForm):
    class Meta:
        model = CannedResponse
        fields = ["tenant", "title", "body", "team"]

    def write(self, tenant: Any, data: dict[str, Any], actor: Any) -> Any:
        return services.save_canned_response(
            tenant=tenant,
            response=self.instance if self.instance.pk else None,
            actor=actor,
            **data,
        )


@admin.register(CannedResponse)
class CannedResponseAdmin(ConfigAdmin):
    form = CannedResponseForm
    list_display = ["title", "team"]
    search_fields = ["title", "body"]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_canned_response(response=obj, actor=request.user)


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
        (None, {"fields": ["number_format", "reopen_days", "send_acknowledgements"]}),
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

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (SettingsFormSet, formset), {"actor": request.user})


class SettingsFormSet(BaseInlineFormSet):
    """Saves the settings row with ``configuration.save_settings`` (audited),
    as the user of the request (``actor``, set by the inline)."""

    actor: Any = None

    def _write(self, form: Any) -> Any:
        values = {
            k: form.cleaned_data[k] for k in configuration.SETTINGS_FIELDS if k in form.fields
        }
        return configuration.save_settings(tenant=self.instance, actor=self.actor, **values)

    def save_new(self, form: Any, commit: bool = True) -> Any:
        return self._write(form)

    def save_existing(self, form: Any, obj: Any, commit: bool = True) -> Any:
        return self._write(form)


register_settings_inline(TicketSettingsInline)


# The support mailboxes of email to ticket (registers their admin pages).
# Technicians and their appointments (registers their admin pages).
from ispstack.tickets.field import admin as field_admin  # noqa: E402, F401
from ispstack.tickets.mail import admin as mail_admin  # noqa: E402, F401
from ispstack.tickets.outages import admin as outages_admin  # noqa: E402, F401
