"""Back-office screen for daily usage."""

from django.contrib import admin

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.usage.models import DailyUsage


@admin.register(DailyUsage)
class DailyUsageAdmin(ReadOnlyTenantAdmin):
    list_display = ["day", "subscription", "input_octets", "output_octets"]
    list_filter = ["day"]
    search_fields = ["subscription__username"]
    date_hierarchy = "day"
