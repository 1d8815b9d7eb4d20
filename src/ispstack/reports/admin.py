"""The reports' inputs in the back office: the gross margin on the tenant's
page, the marketing spend per month as its own list; the report schedules
and their deliveries, to read (they are written in the console and the API,
whose service checks the report's own filters)."""

from __future__ import annotations

from django.contrib import admin

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin, TenantSettingsInline
from ispstack.reports.models import MarketingSpend, ReportDelivery, ReportSchedule, ReportSettings


class ReportSettingsInline(TenantSettingsInline):
    """The gross margin behind CLTV, on the tenant's page."""

    model = ReportSettings
    fields = ["gross_margin_percent"]


register_settings_inline(ReportSettingsInline)


@admin.register(MarketingSpend)
class MarketingSpendAdmin(TenantScopedAdmin):
    """Marketing spend per month, entered by finance; the numerator of CAC."""

    list_display = ["month", "amount", "note"]
    date_hierarchy = "month"


@admin.register(ReportSchedule)
class ReportScheduleAdmin(ReadOnlyTenantAdmin):
    """Scheduled reports, their next run and how the last one went."""

    list_display = [
        "report",
        "frequency",
        "send_time",
        "is_active",
        "next_run_at",
        "last_run_at",
        "last_status",
    ]
    list_filter = ["report", "frequency", "is_active", "last_status"]


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ReadOnlyTenantAdmin):
    """Each scheduled report sent: its due time, period and recipients."""

    list_display = ["due_at", "schedule", "period_start", "period_end", "filename"]
    exclude = ["content"]
