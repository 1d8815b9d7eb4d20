"""Back-office screens of vouchers, read only: plans, agents, batches and
codes change through the services (console and API), which validate them,
draw codes and write the RADIUS rows."""

from __future__ import annotations

from django.contrib import admin

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.hotspot.models import Voucher, VoucherAgent, VoucherBatch, VoucherPlan


@admin.register(VoucherPlan)
class VoucherPlanAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "code",
        "name",
        "duration_seconds",
        "duration_start",
        "data_limit_bytes",
        "download_kbps",
        "upload_kbps",
        "simultaneous_use",
        "price",
        "currency",
        "is_active",
    ]
    list_filter = ["is_active", "duration_start"]
    search_fields = ["code", "name"]


@admin.register(VoucherAgent)
class VoucherAgentAdmin(ReadOnlyTenantAdmin):
    list_display = ["name", "email", "phone", "commission_percent"]
    search_fields = ["name", "email"]


@admin.register(VoucherBatch)
class VoucherBatchAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "id",
        "plan",
        "agent",
        "count",
        "prefix",
        "unit_price",
        "currency",
        "created_at",
    ]
    search_fields = ["prefix", "note"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyTenantAdmin):
    list_display = ["code", "batch", "state", "sold_at", "first_login_at", "expires_at"]
    list_filter = ["state"]
    search_fields = ["code"]
