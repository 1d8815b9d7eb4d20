"""Back-office views of leads, surveys and service orders: read only, since
every change goes through the services (console and API); the CPE's WPA2
key never shows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.provisioning.models import Lead, OrderStep, ServiceOrder, SiteSurvey


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
