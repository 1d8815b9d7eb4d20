"""Portal users in the admin: see them, change role or name, switch a login
off (``is_active``). They are invited from the console's customer page, so
the admin adds none and never shows a password hash. The portal's branding
(white label) and host names are configured here too."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.http.request import validate_host
from django.utils.translation import gettext_lazy as _

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import (
    TenantAdminMixin,
    TenantScopedAdmin,
    TenantSettingsInline,
    is_platform,
)
from ispstack.portal.models import PortalBranding, PortalHost, PortalUser


@admin.register(PortalUser)
class PortalUserAdmin(TenantScopedAdmin):
    list_display = ("email", "customer", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name", "customer__account_number", "customer__name")
    fields = (
        "customer",
        "email",
        "name",
        "role",
        "is_active",
        "sms_sign_in",
        "invited_at",
        "last_login",
    )
    readonly_fields = ("customer", "email", "invited_at", "last_login")
    list_select_related = ("customer",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PortalBranding)
class PortalBrandingAdmin(TenantAdminMixin, admin.ModelAdmin):
    """The white label of the tenant's portal. A tenant's admin sees and edits
    its own tenant's row only (``TenantAdminMixin``); every tenant has its
    row from the start, so there is nothing to add or delete."""

    list_display = ("tenant", "display_name", "primary_color", "accent_color", "locale")
    fieldsets = (
        (None, {"fields": ("tenant", "display_name", "logo")}),
        (_("Colours"), {"fields": ("primary_color", "accent_color")}),
        (
            _("Contact and footer"),
            {"fields": ("support_email", "support_phone", "website", "footer_text")},
        ),
        (_("Amounts and dates"), {"fields": ("locale",)}),
        (_("Sign-in"), {"fields": ("sms_sign_in",)}),
    )
    readonly_fields = ("tenant",)
    list_select_related = ("tenant",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PortalBrandingInline(TenantSettingsInline):
    """The portal's branding on the tenant's page, with the other apps' settings."""

    model = PortalBranding
    fields = (
        "display_name",
        "logo",
        "primary_color",
        "accent_color",
        "support_email",
        "support_phone",
        "website",
        "footer_text",
        "locale",
        "sms_sign_in",
    )
    formfield_overrides = PortalBrandingAdmin.formfield_overrides


register_settings_inline(PortalBrandingInline)


@admin.register(PortalHost)
class PortalHostAdmin(TenantScopedAdmin):
    """Host names that open a tenant's portal without the slug. The platform
    operator adds, renames and removes them (a host also needs DNS, a TLS
    certificate and an ``ALLOWED_HOSTS`` entry, which are the operator's);
    a tenant's staff see their own. ``allowed`` says whether Django answers
    the host at all."""

    list_display = ("host", "tenant", "allowed")
    search_fields = ("host",)

    @admin.display(boolean=True, description=_("in ALLOWED_HOSTS"))
    def allowed(self, obj: PortalHost) -> bool:
        """Whether ``ALLOWED_HOSTS`` lets requests for the host through."""
        return validate_host(obj.host, settings.ALLOWED_HOSTS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform(request)
