"""Back-office screens for payments: record a payment, see allocations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from ispstack.core import clock
from ispstack.core.admin_base import ServiceModelForm, TenantScopedAdmin, form_page
from ispstack.customers.models import Customer
from ispstack.payments import services
from ispstack.payments.documents import statement_pdf
from ispstack.payments.models import Allocation, Payment, Refund
from ispstack.payments.selectors import statement


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


class StatementForm(forms.Form):
    start = forms.DateField(help_text="First day (YYYY-MM-DD)")
    end = forms.DateField(help_text="Last day (YYYY-MM-DD)")


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

    def get_urls(self) -> list[Any]:
        return [
            path(
                "statement/<int:customer_id>/",
                self.admin_site.admin_view(self.statement_view),
                name="payments_statement",
            ),
            *super().get_urls(),
        ]

    def statement_view(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        """Ask for a period, then answer the customer's statement as PDF."""
        customer = get_object_or_404(Customer.objects.for_user(request.user), pk=customer_id)
        today = clock.today(customer.tenant)
        form = StatementForm(
            request.POST or None, initial={"start": today.replace(day=1), "end": today}
        )
        if request.method == "POST" and form.is_valid():
            result = statement(customer, form.cleaned_data["start"], form.cleaned_data["end"])
            response = HttpResponse(statement_pdf(result), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'inline; filename="statement-{customer.account_number}.pdf"'
            )
            return response
        return form_page(
            request, title=f"Statement of {customer}", form=form, submit_label="Download PDF"
        )

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


class RefundForm(ServiceModelForm):
    amount = forms.CharField(help_text="In the customer's currency; at most their credit.")

    class Meta:
        model = Refund
        fields = ["customer", "amount", "refunded_on", "method", "reference", "reason"]

    def clean_amount(self) -> str:
        return self.cleaned_data["amount"]


@admin.register(Refund)
class RefundAdmin(TenantScopedAdmin):
    form = RefundForm
    list_display = ["refunded_on", "customer", "amount", "currency", "method", "reference"]
    search_fields = ["reference", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        obj.pk = services.record_refund(
            tenant=form.form_tenant(),
            customer=data["customer"],
            amount=data["amount"],
            refunded_on=data["refunded_on"],
            method=data["method"],
            reference=data.get("reference", ""),
            reason=data.get("reason", ""),
            actor=request.user,
        ).pk
