"""Back-office screens for the catalog."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.catalog import services
from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate
from ispstack.core.admin_base import ServiceModelForm, TenantScopedAdmin


@admin.register(TaxRate)
class TaxRateAdmin(TenantScopedAdmin):
    list_display = ["name", "rate"]


class PlanForm(ServiceModelForm):
    class Meta:
        model = Plan
        fields = "__all__"

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        fields = {k: v for k, v in data.items() if k in services.PLAN_FIELDS}
        services.validate_plan(tenant, fields, instance=self.instance if self.instance.pk else None)


@admin.register(Plan)
class PlanAdmin(TenantScopedAdmin):
    form = PlanForm
    list_display = [
        "code",
        "name",
        "download_kbps",
        "upload_kbps",
        "monthly_price",
        "currency",
        "tax_rate",
        "data_cap_bytes",
        "cap_policy",
        "is_active",
    ]
    list_filter = ["is_active", "currency", "cap_policy"]
    search_fields = ["code", "name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.PLAN_FIELDS}
        if change:
            services.update_plan(plan=obj, actor=request.user, **data)
        else:
            obj.pk = services.create_plan(tenant=form.form_tenant(), actor=request.user, **data).pk


@admin.register(AddOn)
class AddOnAdmin(TenantScopedAdmin):
    list_display = [
        "code",
        "name",
        "monthly_price",
        "currency",
        "cycle_months",
        "tax_rate",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Promotion)
class PromotionAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "value", "cycles", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Bundle)
class BundleAdmin(TenantScopedAdmin):
    list_display = [
        "code",
        "name",
        "discount_kind",
        "discount_value",
        "requires_all_products",
        "is_active",
    ]
    filter_horizontal = ["plans", "addons"]
