"""Back-office screens of provisioning: the adapter settings on the tenant's
page (credentials write-only: the page says whether one is set, never its
value), and leads, surveys and service orders read only, since every change
goes through the services (console and API); the CPE's WPA2 key never shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ispstack.core.admin import TenantAdmin, register_settings_inline
from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    SecretField,
    SecretFormMixin,
    TenantSettingsInline,
)
from ispstack.core.models import Tenant
from ispstack.provisioning.adapters.registry import check_connections
from ispstack.provisioning.models import (
    Lead,
    OrderStep,
    ProvisioningSettings,
    ServiceOrder,
    SiteSurvey,
)

SECRETS = ("netbox_token", "genieacs_password", "mikrotik_password")


def _secret_box(label: Any) -> SecretField:
    return SecretField(
        label=label,
        required=False,
        strip=False,
        help_text=_("Write-only: never shown once saved; leave empty to keep the current one."),
    )


class ProvisioningSettingsForm(SecretFormMixin, forms.ModelForm):
    """The settings with each credential as an empty write-only box
    (``replace_<field>``); the model's checks name those boxes."""

    secret_fields = SECRETS
    replace_netbox_token = _secret_box(_("New NetBox API token"))
    replace_genieacs_password = _secret_box(_("New GenieACS password"))
    replace_mikrotik_password = _secret_box(_("New MikroTik password"))

    class Meta:
        model = ProvisioningSettings
        fields = [
            f.name
            for f in ProvisioningSettings._meta.fields
            if f.editable and f.name not in {*SECRETS, "tenant"}
        ]

    def add_error(self, field: str | None, error: Any) -> None:
        # The model's clean() names the secret fields, which the form shows
        # as their replace_ boxes.
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            error = ValidationError(
                {
                    (f"replace_{name}" if name in SECRETS else name): messages
                    for name, messages in error.error_dict.items()
                }
            )
        elif field in SECRETS:
            field = f"replace_{field}"
        super().add_error(field, error)


class ProvisioningSettingsInline(TenantSettingsInline):
    """How the tenant's service orders reach NetBox, GenieACS and MikroTik."""

    model = ProvisioningSettings
    form = ProvisioningSettingsForm
    readonly_fields = ["secrets_state"]
    fieldsets = [
        (None, {"fields": ["timeout_seconds", "secrets_state"]}),
        (
            _("IPAM (NetBox)"),
            {
                "fields": [
                    "ipam_backend",
                    "netbox_url",
                    "replace_netbox_token",
                    "netbox_prefix",
                    "netbox_tag",
                ]
            },
        ),
        (
            _("TR-069 ACS (GenieACS)"),
            {"fields": ["genieacs_url", "genieacs_username", "replace_genieacs_password"]},
        ),
        (
            _("Router (MikroTik RouterOS API)"),
            {
                "fields": [
                    "mikrotik_host",
                    "mikrotik_port",
                    "mikrotik_username",
                    "replace_mikrotik_password",
                    "mikrotik_suspended_list",
                    "router_dry_run",
                ]
            },
        ),
    ]

    @admin.display(description=_("Credentials"))
    def secrets_state(self, obj: ProvisioningSettings) -> str:
        """Whether each credential is set, never its value."""
        return "; ".join(
            f"{ProvisioningSettings._meta.get_field(name).verbose_name}: "  # type: ignore[union-attr]
            f"{'set' if obj.pk and getattr(obj, name) else 'not set'}"
            for name in SECRETS
        )


register_settings_inline(ProvisioningSettingsInline)


@admin.action(
    description=_("Test the provisioning connections (NetBox, GenieACS, MikroTik)"),
    permissions=["change"],
)
def test_connections_action(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Tenant]
) -> None:
    """Contacts each configured system of the selected tenants (nothing is
    changed there) and reports each outcome as a message."""
    for tenant in queryset:
        results = check_connections(tenant)
        if not results:
            modeladmin.message_user(
                request, f"{tenant}: no provisioning system is configured.", messages.INFO
            )
        for result in results:
            modeladmin.message_user(
                request,
                f"{tenant}: {result.system}: {result.detail}",
                messages.SUCCESS if result.ok else messages.ERROR,
            )


# Provisioning extends the tenant screen from its own floor (setattr: the
# class attribute is declared on ModelAdmin as a per-instance generic).
setattr(  # noqa: B010
    TenantAdmin,
    "actions",
    [*(getattr(TenantAdmin, "actions", None) or []), test_connections_action],
)


@admin.register(Lead)
class LeadAdmin(ReadOnlyTenantAdmin):
    list_display = ["name", "email", "status", "source", "coverage", "created_at"]
    list_filter = ["status", "source", "coverage"]
    search_fields = ["name", "email", "phone"]


@admin.register(SiteSurvey)
class SiteSurveyAdmin(ReadOnlyTenantAdmin):
    list_display = ["lead", "scheduled_at", "status", "outcome"]
    list_filter = ["status", "outcome"]


class OrderStepInline(admin.TabularInline):
    model = OrderStep
    fields = readonly_fields = (
        "name",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "finished_at",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ReadOnlyTenantAdmin):
    list_display = ["id", "subscription", "customer", "status", "activated_on", "created_at"]
    list_filter = ["status"]
    secret_fields = ("wifi_key",)
    inlines = [OrderStepInline]
