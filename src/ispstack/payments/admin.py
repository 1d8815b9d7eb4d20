"""Back-office screens for payments: record a payment, see allocations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ispstack.core import clock
from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import (
    ReadableInline,
    ReadOnlyTenantAdmin,
    ReasonForm,
    ServiceModelForm,
    TenantScopedAdmin,
    TenantSettingsInline,
    action_form_page,
    form_page,
    money_of,
)
from ispstack.core.admin_run import RunNowAdmin
from ispstack.core.tenancy import tenant_of
from ispstack.customers.models import Customer
from ispstack.payments import direct_debit, services, statements, transfers
from ispstack.payments.documents import statement_pdf
from ispstack.payments.models import (
    Allocation,
    BankStatement,
    BankTransfer,
    CustomerPaymentMethod,
    DirectDebitBatch,
    DirectDebitItem,
    DirectDebitSettings,
    Payment,
    Refund,
    StatementLine,
)
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


class AllocationInline(ReadableInline):
    model = Allocation
    fields = readonly_fields = ("invoice", "amount", "created_at")
    shown_fields = {"amount": "money"}
    money_via = "payment"


class StatementForm(forms.Form):
    start = forms.DateField(help_text="First day (YYYY-MM-DD)")
    end = forms.DateField(help_text="Last day (YYYY-MM-DD)")


@admin.register(Payment)
class PaymentAdmin(TenantScopedAdmin):
    form = PaymentForm
    # A search box, not a <select> of every customer (scoped: CustomerAdmin.get_queryset).
    autocomplete_fields = ["customer"]
    list_display = [
        "received_on",
        "customer",
        "amount",
        "method",
        "reference",
        "unallocated",
    ]
    shown_fields = {"amount": "money", "unallocated": "money"}
    list_filter = ["method", "currency"]
    search_fields = ["reference", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    inlines = [AllocationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return self.shown_names(
            [
                "customer",
                "amount",
                "currency",
                "received_on",
                "method",
                "reference",
                "unallocated",
            ]
        )

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
    # A search box, not a <select> of every customer (scoped: CustomerAdmin.get_queryset).
    autocomplete_fields = ["customer"]
    list_display = ["refunded_on", "customer", "amount", "method", "reference"]
    shown_fields = {"amount": "money"}
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


@admin.register(CustomerPaymentMethod)
class CustomerPaymentMethodAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "customer",
        "display",
        "kind",
        "is_primary",
        "mandate_reference",
        "mandate_signed_on",
    ]
    list_filter = ["kind"]
    search_fields = ["customer__name", "customer__account_number", "mandate_reference"]
    exclude = ["card_token", "iban"]


@admin.register(BankTransfer)
class BankTransferAdmin(ReadOnlyTenantAdmin):
    """The review queue of reported bank transfers, the oldest first."""

    list_display = [
        "created_at",
        "customer",
        "amount",
        "transferred_on",
        "reference",
        "status",
        "attention",
        "proof_link",
    ]
    # The upload's own link points into the private media folder (a 404).
    exclude = ["proof"]
    list_filter = ["status"]
    search_fields = ["reference", "customer__name", "customer__account_number"]
    actions = ["approve_selected", "reject_selected"]
    shown_fields = {"amount": "money"}

    @admin.display(boolean=True, description="24 h+")
    def attention(self, obj: BankTransfer) -> bool:
        return transfers.needs_attention(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("payments.change_banktransfer")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        names = [f.name for f in BankTransfer._meta.fields if f.name != "proof"]
        return self.shown_names([*names, "proof_link"])

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/proof/",
                self.admin_site.admin_view(self.proof_view),
                name="payments_banktransfer_proof",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("Proof"))
    def proof_link(self, obj: BankTransfer) -> str:
        if not obj.pk or not obj.proof:
            return "-"
        url = reverse("admin:payments_banktransfer_proof", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Proof"))

    def proof_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """The uploaded proof of a transfer of the user's tenant (404 otherwise)."""
        transfer = get_object_or_404(self.get_queryset(request), pk=pk)
        if not transfer.proof:
            raise Http404
        name = transfer.proof.name.rsplit("/", 1)[-1]
        return FileResponse(transfer.proof.open("rb"), as_attachment=False, filename=name)

    @admin.action(description="Approve: the money is on the account", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[BankTransfer]) -> None:
        for transfer in queryset:
            self.run_service(
                request,
                transfers.approve_transfer,
                f"{transfer} approved",
                transfer=transfer,
                actor=request.user,
            )

    @admin.action(description="Reject with a reason", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[BankTransfer]) -> Any:
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            return action_form_page(
                request,
                form,
                title="Reject transfers: give a reason",
                label="Reject",
                queryset=queryset,
                objects_label="Transfers",
            )
        for transfer in queryset:
            self.run_service(
                request,
                transfers.reject_transfer,
                f"{transfer} rejected",
                transfer=transfer,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        return None


class StatementUploadForm(forms.Form):
    file = forms.FileField(help_text="camt.053 XML, MT940 or OFX")


class StatementLineInline(ReadableInline):
    model = StatementLine
    shown_fields = {"amount": "money"}
    fields = readonly_fields = (
        "booked_on",
        "amount",
        "counterparty_name",
        "remittance",
        "status",
        "match_rule",
        "customer",
        "note",
    )


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "format",
        "filename",
        "account_iban",
        "lines_total",
        "lines_matched",
        "lines_unmatched",
    ]
    inlines = [StatementLineInline]
    change_list_template = "admin/ispstack/change_list_run.html"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return super().changelist_view(
            request, {**(extra_context or {}), "run_label": "Import a statement"}
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "run/",
                self.admin_site.admin_view(self.import_view),
                name="payments_bankstatement_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if self.run_service(
                request,
                statements.import_statement,
                f"{upload.name} imported",
                tenant=tenant_of(request.user),
                data=upload.read(),
                filename=upload.name,
                actor=request.user,
            ):
                return HttpResponseRedirect("../")
        return form_page(
            request,
            title="Import a bank statement",
            form=form,
            submit_label="Import",
            multipart=True,
        )


class MatchForm(forms.Form):
    # Typed, not picked from a list of every customer.
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(),
        to_field_name="account_number",
        widget=forms.TextInput,
        label=_("Customer account number"),
        error_messages={"invalid_choice": _("No customer has this account number.")},
    )


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyTenantAdmin):
    """Statement lines; the unmatched ones are the clerk's queue."""

    list_select_related = ["customer"]

    shown_fields = {"amount": "money"}
    list_display = [
        "booked_on",
        "amount",
        "counterparty_name",
        "remittance",
        "status",
        "match_rule",
        "customer",
        "note",
    ]
    list_filter = ["status", "match_rule"]
    search_fields = ["remittance", "counterparty_name", "counterparty_iban", "bank_reference"]
    actions = ["match_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("payments.change_statementline")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.shown_names(f.name for f in StatementLine._meta.fields)

    @admin.action(description="Match to a customer", permissions=["change"])
    def match_selected(self, request: HttpRequest, queryset: QuerySet[StatementLine]) -> Any:
        form = MatchForm(request.POST if "confirm" in request.POST else None)
        form.fields["customer"].queryset = Customer.objects.for_user(request.user)  # type: ignore[attr-defined]
        if not form.is_valid():
            return action_form_page(
                request,
                form,
                title="Match to a customer",
                label="Match",
                queryset=queryset,
                objects_label="Lines",
            )
        for line in queryset:
            self.run_service(
                request,
                statements.match_line,
                f"{line} matched",
                line=line,
                customer=form.cleaned_data["customer"],
                actor=request.user,
            )
        return None


class DirectDebitItemInline(ReadableInline):
    model = DirectDebitItem
    shown_fields = {"amount": "money"}
    money_via = "batch"
    fields = readonly_fields = (
        "invoice",
        "amount",
        "sequence_type",
        "end_to_end_id",
        "status",
        "return_reason",
    )


class ReturnsUploadForm(forms.Form):
    file = forms.FileField(help_text="pain.002 status report or camt.054 with returns")


@admin.register(DirectDebitBatch)
class DirectDebitBatchAdmin(RunNowAdmin):
    """SEPA direct debit batches: create for a collection date, download, settle, returns."""

    list_display = ["collection_date", "count", "total", "status", "xml_link", "created_at"]
    shown_fields = {"total": "money"}
    inlines = [DirectDebitItemInline]
    run_label = "Create a direct debit batch"
    run_permission = "payments.add_directdebitbatch"
    actions = ["settle_selected"]

    def run(self, request: HttpRequest, as_of: Any) -> str:
        batch = direct_debit.create_batch(
            tenant=tenant_of(request.user), collection_date=as_of, actor=request.user
        )
        return f"Batch of {batch.count} collections, {money_of(batch, batch.total)}, for {as_of}."

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/xml/",
                self.admin_site.admin_view(self.xml_view),
                name="payments_directdebitbatch_xml",
            ),
            path(
                "returns/",
                self.admin_site.admin_view(self.returns_view),
                name="payments_directdebit_returns",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="pain.008")
    def xml_link(self, obj: DirectDebitBatch) -> str:
        return format_html(
            '<a href="{}">XML</a>', reverse("admin:payments_directdebitbatch_xml", args=[obj.pk])
        )

    def xml_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="pain008-{batch.pk}.xml"'
        return response

    def returns_view(self, request: HttpRequest) -> HttpResponse:
        form = ReturnsUploadForm(request.POST or None, request.FILES or None)
        if (
            request.method == "POST"
            and form.is_valid()
            and self.run_service(
                request,
                direct_debit.import_returns,
                "Returns imported",
                tenant=tenant_of(request.user),
                data=form.cleaned_data["file"].read(),
                actor=request.user,
            )
        ):
            return HttpResponseRedirect("../")
        return form_page(
            request,
            title="Import direct debit returns",
            form=form,
            submit_label="Import",
            multipart=True,
        )

    @admin.action(description="Settle: the bank credited these collections")
    def settle_selected(self, request: HttpRequest, queryset: QuerySet[DirectDebitBatch]) -> None:
        for batch in queryset:
            self.run_service(
                request,
                direct_debit.settle_batch,
                f"{batch} settled",
                batch=batch,
                actor=request.user,
            )


class DirectDebitSettingsInline(TenantSettingsInline):
    """The SEPA creditor data and the return fee, on the tenant's page."""

    model = DirectDebitSettings


register_settings_inline(DirectDebitSettingsInline)
