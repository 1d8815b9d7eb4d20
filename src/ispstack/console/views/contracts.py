"""Contracts in the console: the list (``console.lists``: filters, sorting,
export), a contract's page (terms, the fee if it ended on a given day, its
subscriptions and versions; activate, renew, link and release), the create
and amend forms with the service's errors at their fields, and the
termination, which shows the fee before it is confirmed.

Contracts read with ``sales.view_contract`` and change with
``sales.change_contract`` (admin and billing, ``core.roles``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.console.forms import contract_terms
from ispstack.console.forms.contract_terms import ContractTermsForm
from ispstack.console.forms.shared import show_refusal
from ispstack.console.lists import (
    ANY,
    ExportColumn,
    ListView,
    LocalTimeColumn,
    MoneyColumn,
    StatusColumn,
    TenantFilterSet,
    date_range,
    search_filter,
)
from ispstack.core import clock
from ispstack.core.api.base import pdf_response
from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.customers.models import Customer
from ispstack.sales.contracts import selectors, services
from ispstack.sales.contracts.credits import issue_service_credit
from ispstack.sales.contracts.documents import contract_pdf
from ispstack.sales.models import (
    Contract,
    ContractStatus,
    ContractSubscription,
    ServiceCredit,
)
from ispstack.sales.permissions import CONTRACT_PERMS
from ispstack.subscriptions.models import Subscription, SubscriptionStatus

VIEW_PERMS = CONTRACT_PERMS["retrieve"]
EDIT_PERMS = CONTRACT_PERMS["partial_update"]


class ContractFilter(TenantFilterSet):
    q = search_filter(gettext_lazy("Number, customer"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=ContractStatus.choices, empty_label=ANY
    )
    end_date = date_range(gettext_lazy("Ends between"))

    class Meta:
        model = Contract
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(number__icontains=value)
            | models.Q(customer__name__icontains=value)
            | models.Q(customer__account_number__iexact=value)
        )


class ContractTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("Contract"))
    customer = tables.Column(verbose_name=gettext_lazy("Customer"), accessor="customer__name")
    status = StatusColumn(verbose_name=gettext_lazy("Status"))
    term_months = tables.Column(verbose_name=gettext_lazy("Term (months)"))
    end_date = tables.DateColumn(verbose_name=gettext_lazy("Ends"), format="Y-m-d")
    monthly_commitment = MoneyColumn(
        verbose_name=gettext_lazy("Monthly commitment"), accessor="monthly_commitment"
    )
    created_at = LocalTimeColumn(verbose_name=gettext_lazy("Created"))

    def render_number(self, record: Contract) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("console:contract", args=[record.pk]), record.number
        )


class ContractListView(ListView):
    """``/staff/contracts/``: every contract, newest first, by status and end date."""

    list_name = "contracts"
    title = gettext_lazy("Contracts")
    model = Contract
    required_perms = VIEW_PERMS
    table_class = ContractTable
    filterset_class = ContractFilter
    sorts = {
        "created_at": ("created_at",),
        "end_date": ("end_date",),
        "number": ("number",),
        "status": ("status",),
    }
    default_sort = "-created_at"
    keyset_sorts = ("id", "created_at", "end_date", "number")
    export_columns = [
        ExportColumn(gettext_lazy("Contract"), lambda r: r.number),
        ExportColumn(gettext_lazy("Customer"), lambda r: r.customer.name),
        ExportColumn(gettext_lazy("Status"), lambda r: r.get_status_display()),
        ExportColumn(gettext_lazy("Term (months)"), lambda r: r.term_months),
        ExportColumn(gettext_lazy("Term start"), lambda r: r.term_start),
        ExportColumn(gettext_lazy("Ends"), lambda r: r.end_date),
        ExportColumn(gettext_lazy("Currency"), lambda r: r.currency),
        ExportColumn(gettext_lazy("Monthly commitment"), lambda r: r.monthly_commitment),
        ExportColumn(gettext_lazy("Created"), lambda r: r.created_at),
    ]

    def get_queryset(self) -> Any:
        return Contract.objects.select_related("customer")


class ContractForm(ContractTermsForm):
    """A contract's customer (on creation) and terms; an amendment's reason."""

    field_order = ("customer", "reason", "term_months", "start_date")

    customer = forms.CharField(
        label=gettext_lazy("Customer account number"), max_length=40, required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the terms change"), required=False, widget=forms.Textarea
    )
    start_date = forms.DateField(
        label=gettext_lazy("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea)


class ContractFormView(StaffView):
    """``/staff/contracts/new/`` and ``/staff/contracts/<pk>/amend/``: a new
    draft, or an amendment (a new version, its reason required); the
    service's refusal is shown at its field (400)."""

    def perms_for(self, **kwargs: Any) -> tuple[str, ...]:
        return CONTRACT_PERMS["partial_update" if "pk" in kwargs else "create"]

    def _contract(self, pk: int | None) -> Contract | None:
        if pk is None:
            return None
        return self.get_scoped(Contract.objects.select_related("customer", "tenant"), pk=pk)

    def _page(
        self, request: HttpRequest, form: ContractForm, contract: Contract | None, status: int = 200
    ) -> HttpResponse:
        title = (
            _("Amend contract %(number)s") % {"number": contract.number}
            if contract
            else _("New contract")
        )
        if contract is not None:
            form.fields.pop("customer", None)
        else:
            form.fields.pop("reason", None)
        return render(
            request,
            "console/contracts/form.html",
            {"title": title, "form": form, "contract": contract},
            status=status,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        contract = self._contract(pk)
        initial: dict[str, Any] = {
            "term_months": 24,
            "auto_renew": True,
            "renewal_term_months": 12,
            "notice_days": 30,
        }
        if contract is not None:
            initial = {
                field: getattr(contract, field)
                for field in ContractForm.base_fields
                if hasattr(contract, field) and field != "customer"
            }
            initial.update(
                contract_terms.as_text(
                    {field: getattr(contract, field) for field in contract_terms.TERMS}
                )
            )
        return self._page(request, ContractForm(initial=initial), contract)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        contract = self._contract(pk)
        tenant = self.require_tenant()
        form = ContractForm(request.POST)
        if contract is not None:
            form.fields.pop("customer")
        if form.is_valid():
            try:
                data = contract_terms.as_lists(form.cleaned_data)
                if contract is None:
                    number = data.pop("customer").strip()
                    customer = Customer.objects.filter(tenant=tenant, account_number=number).first()
                    if customer is None:
                        raise InvalidInput("no customer has this account number", field="customer")
                    data.pop("reason", None)
                    values = {k: v for k, v in data.items() if v not in (None, "")}
                    contract = services.create_contract(
                        tenant=tenant, actor=request.user, customer=customer, **values
                    )
                else:
                    if contract.status != ContractStatus.DRAFT:
                        data.pop("start_date", None)
                    changed = {
                        k: v
                        for k, v in data.items()
                        if k != "reason" and v is not None and (v != "" or k == "notes")
                    }
                    services.amend_contract(
                        contract=contract, actor=request.user, reason=data["reason"], **changed
                    )
            except ServiceError as exc:
                show_refusal(form, exc)
            else:
                return HttpResponseRedirect(
                    reverse("console:contract", args=[contract.pk]), status=303
                )
        return self._page(request, form, contract, status=400)


class ContractView(StaffView):
    """``/staff/contracts/<pk>/``: the terms, the fee if the contract ended on
    ``?on=`` (default today), the subscriptions and the versions."""

    required_perms: tuple[str, ...] = VIEW_PERMS

    def _contract(self, pk: int) -> Contract:
        return self.get_scoped(Contract.objects.select_related("customer", "tenant"), pk=pk)

    def _on(self, request: HttpRequest, contract: Contract) -> dt.date:
        raw = request.GET.get("on") or request.POST.get("on") or ""
        try:
            return (
                dt.date.fromisoformat(raw.strip()) if raw.strip() else clock.today(contract.tenant)
            )
        except ValueError:
            return clock.today(contract.tenant)

    def _page(
        self,
        request: HttpRequest,
        contract: Contract,
        status: int = 200,
        error: str = "",
        notice: str = "",
    ) -> HttpResponse:
        may_edit = self.tenant is not None and request.user.has_perms(EDIT_PERMS)
        links = selectors.links_of(contract)
        linked = {link.subscription_id for link in links if link.released_on is None}
        candidates = (
            self.scoped(
                Subscription.objects.filter(customer=contract.customer).exclude(
                    status=SubscriptionStatus.TERMINATED
                )
            )
            .exclude(pk__in=linked)
            .exclude(
                pk__in=ContractSubscription.objects.filter(released_on__isnull=True).values(
                    "subscription_id"
                )
            )
            .order_by("username")
        )
        is_open = contract.status in (ContractStatus.DRAFT, ContractStatus.ACTIVE)
        return render(
            request,
            "console/contracts/detail.html",
            {
                "title": contract.number,
                "contract": contract,
                "links": links,
                "versions": selectors.versions_of(contract),
                "credits": selectors.credits_of(contract),
                "shortfalls": selectors.shortfalls_of(contract),
                "downgrade_fees": selectors.downgrade_fees_of(contract),
                "last_month": clock.add_months(clock.today(contract.tenant), -1).strftime("%Y-%m"),
                "notice": notice,
                "preview": selectors.fee_preview(contract, self._on(request, contract)),
                "may_edit": may_edit,
                "may_credit": self.tenant is not None
                and request.user.has_perms(CONTRACT_PERMS["service_credit"]),
                "is_open": is_open,
                "is_draft": contract.status == ContractStatus.DRAFT,
                "is_active": contract.status == ContractStatus.ACTIVE,
                "candidates": list(candidates) if may_edit and is_open else [],
                "error": error,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, self._contract(pk))


# The console's actions and the API action whose permissions each needs.
ACTIONS = {
    "activate": "activate",
    "renew": "renew",
    "link": "link",
    "release": "release",
    "credit": "service_credit",
}


class ContractActionView(ContractView):
    """``POST /staff/contracts/<pk>/<action>/``: activate, renew, link a
    subscription (``subscription``), release one (``subscription``,
    ``reason``) or issue a month's service credit (``month`` as YYYY-MM,
    ``amount`` empty to measure it from the outages, ``reason``); back to the
    contract, or its page with the refusal (409/400)."""

    http_method_names = ["post"]

    def perms_for(self, **kwargs: Any) -> tuple[str, ...]:
        return CONTRACT_PERMS[ACTIONS.get(kwargs.get("action", ""), "retrieve")]

    def post(self, request: HttpRequest, pk: int, action: str = "") -> HttpResponse:
        contract = self._contract(pk)
        self.require_tenant()
        if action not in ACTIONS:
            return HttpResponse(status=404)
        subscription = request.POST.get("subscription", "")
        try:
            if action == "activate":
                services.activate_contract(contract=contract, actor=request.user)
            elif action == "renew":
                services.renew_contract(
                    contract=contract, actor=request.user, reason=request.POST.get("reason", "")
                )
            elif action == "link":
                services.link_subscription(
                    contract=contract, subscription=subscription, actor=request.user
                )
            elif action == "release":
                services.release_subscription(
                    contract=contract,
                    subscription=subscription,
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                )
            elif self._credit(request, contract) is None:
                return self._page(
                    request, contract, notice=_("The month met the uptime promised: no credit.")
                )
        except ServiceError as exc:
            return self._page(request, contract, status=exc.status_code, error=str(exc))
        return HttpResponseRedirect(reverse("console:contract", args=[contract.pk]), status=303)

    @staticmethod
    def _credit(request: HttpRequest, contract: Contract) -> ServiceCredit | None:
        month = request.POST.get("month", "").strip()
        return issue_service_credit(
            contract=contract,
            # <input type="month"> sends YYYY-MM; the service takes any day of it.
            month=f"{month}-01" if len(month) == 7 else month,
            amount=request.POST.get("amount", "").strip() or None,
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )


class ContractTerminateView(ContractView):
    """``/staff/contracts/<pk>/terminate/``: the fee for the last day of
    service ``on`` (default today) to confirm; POST with ``confirm`` and a
    reason terminates, anything else shows the fee for the day given."""

    required_perms = CONTRACT_PERMS["terminate"]

    def _confirm(
        self, request: HttpRequest, contract: Contract, status: int = 200, error: str = ""
    ) -> HttpResponse:
        return render(
            request,
            "console/contracts/terminate.html",
            {
                "title": _("Terminate contract %(number)s") % {"number": contract.number},
                "contract": contract,
                "preview": selectors.fee_preview(contract, self._on(request, contract)),
                "reason": request.POST.get("reason", ""),
                "error": error,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._confirm(request, self._contract(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self._contract(pk)
        self.require_tenant()
        if request.POST.get("confirm") != "yes":
            return self._confirm(request, contract)
        try:
            services.terminate_contract(
                contract=contract,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                on=request.POST.get("on", ""),
            )
        except ServiceError as exc:
            return self._confirm(request, contract, status=exc.status_code, error=str(exc))
        return HttpResponseRedirect(reverse("console:contract", args=[contract.pk]), status=303)


class ContractPdfView(StaffView):
    """``/staff/contracts/<pk>/pdf/``: the contract as a PDF download."""

    required_perms = VIEW_PERMS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = self.get_scoped(Contract.objects.select_related("tenant", "customer"), pk=pk)
        return pdf_response(contract_pdf(contract), f"{contract.number}-v{contract.version}.pdf")
