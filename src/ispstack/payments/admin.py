"""Back-office screens for payments: record a payment, see allocations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from ispstack.core.admin_base import ServiceModelForm, TenantScopedAdmin
from ispstack.payments import services
from ispstack.payments.models import Allocation, Payment


class PaymentForm(ServiceModelForm):
    amount = forms.CharField(help_text="In the customer's currency, e.g. 57.50")

    class Meta:
        model = Payment
        fields = ["customer", "amount", "received_on", "method", "reference"]

    def clean_amount(self) -> str:
        return self.cleaned_data["amount"]

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        from ispstack.core.money import parse_amount

        customer = data.get("customer")
        if customer is not None:
            parse_amount(data.get("amount"), customer.currency, allow_zero=False)


class AllocationInline(admin.TabularInline):
    model = Allocation
    fields = readonly_fields = ("invoice", "amount", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(TenantScopedAdmin):
    form = PaymentForm
    list_display = [
        "received_on",
        "customer",
        "amount",
        "currency",
        "method",
        "reference",
        "unallocated",
    ]
    list_filter = ["method", "currency"]
    search_fields = ["reference", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    inlines = [AllocationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return [
            "customer",
            "amount",
            "currency",
            "received_on",
            "method",
            "reference",
            "unallocated",
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        obj.pk = services.record_payment(
            tenant=form.form_tenant(),
            customer=data["customer"],
            amount=data["amount"],
            received_on=data["received_on"],
            method=data["method"],
            reference=data.get("reference", ""),
            actor=request.user,
        ).pk
