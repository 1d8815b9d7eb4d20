"""Back-office screens of vouchers, read only: plans, agents, batches and
codes change through the services (console and API), which validate them,
draw codes and write the RADIUS rows."""

from __future__ import annotations

from django.contrib import admin

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantSettingsInline
from ispstack.hotspot.models import (
    Voucher,
    VoucherAgent,
    VoucherBatch,
    VoucherPlan,
    VoucherSettings,
)


class VoucherSettingsInline(TenantSettingsInline):
    """The hotspot login page the voucher cards' QR codes open and the
    lockout of devices guessing codes, on the tenant's page."""

    model = VoucherSettings
    fields = ["login_url", "lockout_failures", "lockout_minutes"]


register_settings_inline(VoucherSettingsInline)


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
        "is_active",
    ]
    shown_fields = {
        "price": "money",
        "duration_seconds": ("duration", "Duration"),
        "data_limit_bytes": ("data_size", "Data limit"),
    }
    list_filter = ["is_active", "duration_start"]
    search_fields = ["code", "name"]


@admin.register(VoucherAgent)
class VoucherAgentAdmin(ReadOnlyTenantAdmin):
    list_display = ["name", "email", "phone", "commission_percent"]
    shown_fields = {"commission_percent": ("percent", "Commission")}
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
        "created_at",
    ]
    shown_fields = {"unit_price": "money", "tax_percent": ("percent", "Tax")}
    search_fields = ["prefix", "note"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyTenantAdmin):
    list_display = ["code", "batch", "state", "sold_at", "first_login_at", "expires_at"]
    list_filter = ["state"]
    search_fields = ["code"]
