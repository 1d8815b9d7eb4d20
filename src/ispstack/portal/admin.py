"""Portal users in the admin: see them, change role or name, switch a login
off (``is_active``). They are invited from the console's customer page, so
the admin adds none and never shows a password hash."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.core.admin_base import TenantScopedAdmin
from ispstack.portal.models import PortalUser


@admin.register(PortalUser)
class PortalUserAdmin(TenantScopedAdmin):
    list_display = ("email", "customer", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name", "customer__account_number", "customer__name")
    fields = ("customer", "email", "name", "role", "is_active", "invited_at", "last_login")
    readonly_fields = ("customer", "email", "invited_at", "last_login")
    list_select_related = ("customer",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
