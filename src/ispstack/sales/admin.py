"""Back-office screens of sales: quotes and their lines, read only, since
every change goes through the services (console and API), which price,
number and version them; the accept link's token never shows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.sales.models import Quote, QuoteLine


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    fk_name = "quote"
    fields = readonly_fields = (
        "kind",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "net_amount",
        "tax_amount",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "version",
        "status",
        "customer",
        "lead",
        "prospect_name",
        "currency",
        "valid_until",
        "accepted_at",
    ]
    list_filter = ["status"]
    search_fields = ["number", "prospect_name", "prospect_email", "customer__name"]
    exclude = ["token"]
    inlines = [QuoteLineInline]
