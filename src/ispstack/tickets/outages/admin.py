"""Back-office screens of outages: read-only (declared, resolved and
cancelled in the console and the API, which record the impacts and tell the
customers)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.tickets.models import Outage, OutageImpact


class OutageImpactInline(admin.TabularInline):
    model = OutageImpact
    extra = 0
    fields = ["subscription", "customer", "minutes", "notified_start_at", "notified_end_at"]
    readonly_fields = [
        "subscription",
        "customer",
        "minutes",
        "notified_start_at",
        "notified_end_at",
    ]
    raw_id_fields = ["subscription", "customer"]
    max_num = 0
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Outage)
class OutageAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "scope_label",
        "cause",
        "state",
        "started_at",
        "expected_end_at",
        "resolved_at",
        "affected_count",
    ]
    list_filter = ["state", "cause"]
    search_fields = ["number", "description"]
    list_select_related = ["site", "sector__site", "nas", "device"]
    inlines = [OutageImpactInline]
