"""Back-office screens for usage: daily usage, cap alerts, top-ups, overage."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin
from ispstack.usage.models import DailyUsage, OverageCharge, TopUp, TopUpOffer, UsageAlert


@admin.register(DailyUsage)
class DailyUsageAdmin(ReadOnlyTenantAdmin):
    list_display = ["day", "subscription", "input_octets", "output_octets"]
    shown_fields = {
        "input_octets": ("data_size", _("Uploaded")),
        "output_octets": ("data_size", _("Downloaded")),
    }
    list_filter = ["day"]
    search_fields = ["subscription__username"]
    date_hierarchy = "day"


@admin.register(UsageAlert)
class UsageAlertAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "subscription",
        "cycle_start",
        "threshold",
        "used_bytes",
        "allowance_bytes",
    ]
    shown_fields = {
        "threshold": "percent",
        "used_bytes": "data_size",
        "allowance_bytes": "data_size",
    }
    list_filter = ["threshold"]
    search_fields = ["subscription__username"]


@admin.register(TopUpOffer)
class TopUpOfferAdmin(TenantScopedAdmin):
    """The top-ups customers may buy in the portal; switch one off to retire it."""

    list_display = ["name", "extra_bytes", "price", "currency", "plan", "is_active"]
    shown_fields = {"extra_bytes": "data_size", "price": "money"}
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "subscription", "cycle_start", "extra_bytes", "offer", "charge"]
    list_select_related = ["subscription", "offer", "charge"]
    shown_fields = {"extra_bytes": "data_size"}
    search_fields = ["subscription__username"]


@admin.register(OverageCharge)
class OverageChargeAdmin(ReadOnlyTenantAdmin):
    """Cycles of plans with cap policy "overage", with what was charged."""

    list_display = [
        "cycle_start",
        "cycle_end",
        "subscription",
        "used_bytes",
        "allowance_bytes",
        "excess_gigabytes",
        "price_per_gb",
        "charge",
    ]
    list_select_related = ["subscription", "charge"]
    shown_fields = {
        "used_bytes": "data_size",
        "allowance_bytes": "data_size",
        "excess_gigabytes": "quantity",
        "price_per_gb": "money",
    }
    money_via = "subscription.customer"
    search_fields = ["subscription__username"]
