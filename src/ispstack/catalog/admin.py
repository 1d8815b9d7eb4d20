"""Back-office screens for the catalog."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ispstack.catalog import services
from ispstack.catalog.models import AddOn, Bundle, DiscountKind, Plan, Promotion, TaxRate
from ispstack.core import display
from ispstack.core.admin_base import ServiceModelForm, TenantScopedAdmin


def discount_text(kind: str, value: Any, tenant: Any) -> str:
    """A discount as it reads: ``10 %`` off, or ``R 50.00`` off in the tenant's currency."""
    if kind == DiscountKind.PERCENT:
        return display.percent(value)
    return display.tenant_money(value, tenant)


@admin.register(TaxRate)
class TaxRateAdmin(TenantScopedAdmin):
    list_display = ["name", "rate"]
    shown_fields = {"rate": "percent"}


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
        "tax_rate",
        "data_cap_bytes",
        "cap_policy",
        "is_active",
    ]
    shown_fields = {
        "monthly_price": "money",
        "overage_price_per_gb": "money",
        "data_cap_bytes": "data_size",
    }
    list_filter = ["is_active", "currency", "cap_policy"]
    search_fields = ["code", "name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.PLAN_FIELDS}
        if change:
            services.update_plan(plan=obj, actor=request.user, **data)
        else:
            obj.pk = services.create_plan(tenant=form.form_tenant(), actor=request.user, **data).pk


class AddOnForm(ServiceModelForm):
    class Meta:
        model = AddOn
        fields = "__all__"


@admin.register(AddOn)
class AddOnAdmin(TenantScopedAdmin):
    """Add-ons; saved through the catalog's services, which keep the price
    history the finance reports read (``AddOnPrice``)."""

    form = AddOnForm
    list_display = [
        "code",
        "name",
        "monthly_price",
        "cycle_months",
        "tax_rate",
        "is_active",
    ]
    shown_fields = {"monthly_price": "money"}
    list_filter = ["is_active"]
    search_fields = ["code", "name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.ADDON_FIELDS}
        if change:
            services.update_addon(addon=obj, actor=request.user, **data)
        else:
            active = data.pop("is_active", True)
            addon = services.create_addon(tenant=form.form_tenant(), actor=request.user, **data)
            if not active:
                services.update_addon(addon=addon, actor=request.user, is_active=False)
            obj.pk = addon.pk


@admin.register(Promotion)
class PromotionAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "discount", "cycles", "is_active"]
    shown_fields = {"value": "quantity"}
    list_select_related = ["tenant"]

    @admin.display(description=_("Discount"), ordering="value")
    def discount(self, obj: Promotion) -> str:
        return discount_text(obj.kind, obj.value, obj.tenant)

    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Bundle)
class BundleAdmin(TenantScopedAdmin):
    list_display = [
        "code",
        "name",
        "discount",
        "requires_all_products",
        "is_active",
    ]
    shown_fields = {"discount_value": "quantity"}
    list_select_related = ["tenant"]

    @admin.display(description=_("Discount"), ordering="discount_value")
    def discount(self, obj: Bundle) -> str:
        return discount_text(obj.discount_kind, obj.discount_value, obj.tenant)

    filter_horizontal = ["plans", "addons"]
