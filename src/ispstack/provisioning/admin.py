"""Back-office screens of provisioning: the adapter settings on the tenant's
page (credentials write-only: the page says whether one is set, never its
value)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import SecretField, SecretFormMixin, TenantSettingsInline
from ispstack.provisioning.models import ProvisioningSettings

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
