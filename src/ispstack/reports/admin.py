"""The reports' inputs in the back office: the gross margin on the tenant's
page, the marketing spend per month as its own list."""

from __future__ import annotations

from django.contrib import admin

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import TenantScopedAdmin, TenantSettingsInline
from ispstack.reports.models import MarketingSpend, ReportSettings


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
