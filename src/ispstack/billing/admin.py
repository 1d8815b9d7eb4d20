"""Back-office screens for billing: invoices, their PDF, billing runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ispstack.billing import services
from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.documents import document_pdf
from ispstack.billing.models import (
    BillingRun,
    BillingRunFailure,
    BillingSettings,
    Charge,
    CreditNote,
    Invoice,
    InvoiceLine,
)
from ispstack.billing.proration import add_charge
from ispstack.catalog.models import Plan
from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import (
    ReadableInline,
    ReadOnlyTenantAdmin,
    ReasonForm,
    TenantSettingsInline,
    action_form_page,
)
from ispstack.core.admin_run import RunNowAdmin
from ispstack.core.errors import ServiceError
from ispstack.core.tenancy import tenant_of
from ispstack.subscriptions.admin import SubscriptionAdmin


class LineInline(ReadableInline):
    model = InvoiceLine
    money_via = "invoice"
    shown_fields = {
        "quantity": "quantity",
        "unit_price": "money",
        "net_amount": "money",
        "tax_rate": "percent",
        "tax_amount": "money",
        "total": "money",
    }
    fields = readonly_fields = (
        "description",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "net_amount",
        "tax_rate",
        "tax_amount",
        "total",
    )


def _pdf_link(document: Invoice | CreditNote, url_name: str) -> str:
    """A link to the document's PDF view in the back office (``-`` before it has a number)."""
    if not document.pk or not document.number:
        return "-"
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[document.pk]), _("PDF"))


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "customer",
        "status",
        "issue_date",
        "due_date",
        "total",
        "amount_paid",
        "pdf_link",
    ]
    shown_fields = dict.fromkeys(
        ["subtotal", "tax_total", "total", "amount_paid", "amount_credited"], "money"
    )
    list_filter = ["status", "currency"]
    search_fields = ["number", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    date_hierarchy = "issue_date"
    inlines = [LineInline]
    actions = ["void_selected", "credit_selected"]
    exclude = ["pdf"]

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(self.get_queryset(request), pk=pk)
        response = HttpResponse(document_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Invoice) -> str:
        return _pdf_link(obj, "admin:billing_invoice_pdf")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("billing.change_invoice")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The stored file's own link would point into the private media folder
        # (a 404): the PDF is answered by pdf_view, for the user's tenant only.
        names = [f.name for f in Invoice._meta.fields if f.name != "pdf"]
        return self.shown_names([*names, "pdf_link"])

    @admin.action(description="Credit the selected invoices in full", permissions=["change"])
    def credit_selected(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> Any:
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            return action_form_page(
                request,
                form,
                title="Credit in full: give a reason",
                label="Issue credit notes",
                queryset=queryset,
                objects_label="Invoices",
            )
        for invoice in queryset:
            try:
                note = create_credit_note(
                    invoice=invoice, reason=form.cleaned_data["reason"], actor=request.user
                )
                self.message_user(request, f"{note} credits {invoice}.")
            except ServiceError as exc:
                self.message_user(request, f"{invoice}: {exc}", level="error")
        return None

    @admin.action(description="Void the selected unpaid invoices", permissions=["change"])
    def void_selected(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        for invoice in queryset:
            try:
                services.void_invoice(
                    invoice=invoice,
                    actor=request.user,
                    reason=f"voided in the back office by {request.user}",
                )
            except ServiceError as exc:
                self.message_user(request, f"{invoice}: {exc}", level="error")


class FailureInline(admin.TabularInline):
    model = BillingRunFailure
    fields = readonly_fields = ("subscription", "username", "error")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Charge)
class ChargeAdmin(ReadOnlyTenantAdmin):
    list_display = ["charge_date", "subscription", "kind", "description", "amount", "invoice"]
    list_filter = ["kind"]
    search_fields = ["description", "subscription__username"]
    list_select_related = ["subscription", "invoice"]
    shown_fields = {"amount": "money", "tax_rate": "percent"}
    money_via = "subscription.customer"


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "customer",
        "invoice",
        "issue_date",
        "total",
        "unallocated",
        "reason",
        "pdf_link",
    ]
    # The stored file's link points into the private media folder: see pdf_link.
    exclude = ["pdf"]
    readonly_fields = ["pdf_link"]
    search_fields = ["number", "invoice__number", "customer__name", "customer__account_number"]
    list_select_related = ["customer", "invoice"]
    shown_fields = dict.fromkeys(["subtotal", "tax_total", "total", "unallocated"], "money")

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_creditnote_pdf",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: CreditNote) -> str:
        return _pdf_link(obj, "admin:billing_creditnote_pdf")

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = get_object_or_404(self.get_queryset(request), pk=pk)
        response = HttpResponse(document_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{note.number}.pdf"'
        return response


@admin.register(BillingRun)
class BillingRunAdmin(RunNowAdmin):
    list_display = [
        "as_of",
        "status",
        "subscriptions_seen",
        "invoices_created",
        "totals",
        "failure_count",
        "created_at",
        "finished_at",
    ]
    shown_fields = {"totals": "totals"}
    run_label = "Run billing now"
    run_permission = "billing.add_billingrun"

    inlines = [FailureInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BillingRun]:
        return super().get_queryset(request).annotate(failure_total=Count("failures"))

    @admin.display(description="Failures")
    def failure_count(self, obj: BillingRun) -> int:
        return obj.failure_total  # type: ignore[attr-defined]

    def run(self, request: HttpRequest, as_of: Any) -> tuple[str, str]:
        run = services.start_billing_run(
            tenant=tenant_of(request.user), as_of=as_of, actor=request.user
        )
        return (
            f"Billing run for {as_of} started.",
            reverse("console:run", kwargs={"kind": "billing", "pk": run.pk}),
        )


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none())
    when = forms.ChoiceField(
        choices=[("now", "Now, prorated"), ("next_cycle", "At the next billing cycle")]
    )
    reason = forms.CharField(required=False)


class ChargeForm(forms.Form):
    description = forms.CharField(help_text="e.g. Installation, Router, Late fee")
    amount = forms.CharField(help_text="Net of tax, in the customer's currency")
    charge_date = forms.DateField(required=False, help_text="Invoice it from (default: today)")


@admin.action(description="Change the plan of the selected subscriptions")
def change_plan_action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    form = ChangePlanForm(request.POST if "confirm" in request.POST else None)
    form.fields["plan"].queryset = Plan.objects.for_user(request.user).filter(  # type: ignore[attr-defined]
        is_active=True
    )
    if not form.is_valid():
        return modeladmin.form_action(request, form, "Change plan", "Change plan", queryset)
    for sub in queryset:
        modeladmin.run_service(
            request,
            services.change_plan,
            f"{sub}: plan changed",
            subscription=sub,
            actor=request.user,
            **form.cleaned_data,
        )
    return None


@admin.action(description="Add a one-time charge to the selected subscriptions")
def add_charge_action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    form = ChargeForm(request.POST if "confirm" in request.POST else None)
    if not form.is_valid():
        return modeladmin.form_action(request, form, "One-time charge", "Add charge", queryset)
    for sub in queryset:
        modeladmin.run_service(
            request,
            add_charge,
            f"{sub}: charge added",
            subscription=sub,
            actor=request.user,
            **form.cleaned_data,
        )
    return None


# Billing extends the subscription screen from its own floor.
SubscriptionAdmin.actions = [*SubscriptionAdmin.actions, change_plan_action, add_charge_action]


class BillingSettingsInline(TenantSettingsInline):
    """How the tenant bills, on the tenant's page."""

    model = BillingSettings
    fieldsets = [
        (None, {"fields": ["invoice_net_days", "proration_billing"]}),
        (
            _("Suspension and termination"),
            {"fields": ["bill_suspended_days", "credit_on_termination"]},
        ),
        (_("Tax"), {"fields": ["prices_include_tax", "tax_rounding"]}),
        (_("Document numbers"), {"fields": ["invoice_number_format", "credit_note_number_format"]}),
    ]


register_settings_inline(BillingSettingsInline)
