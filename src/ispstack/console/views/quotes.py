"""Quotes in the console: the list (``console.lists``: filters, sorting,
export), a quote's page (lines grouped per plan, totals in its currency,
versions; on a draft the line form and the send, edit, remove and delete
actions; on a sent one: send again, revise, decline for the customer and
record a paper signature), the create and edit forms with the service's
errors at their fields, and the PDF.

Each view and action needs what its API action needs (``sales.permissions``;
admin and billing hold them all, ``core.roles``)."""

from __future__ import annotations

from decimal import Decimal
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

from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion
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
from ispstack.core.errors import ServiceError
from ispstack.customers.models import Customer
from ispstack.provisioning.choices import LeadStatus
from ispstack.provisioning.models import Lead
from ispstack.reports import params
from ispstack.sales import acceptance, selectors, services
from ispstack.sales.documents import quote_pdf
from ispstack.sales.models import (
    LineKind,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from ispstack.sales.permissions import QUOTE_PERMS

EDIT_PERMS = QUOTE_PERMS["partial_update"]


class QuoteFilter(TenantFilterSet):
    q = search_filter(gettext_lazy("Number, name, email"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=QuoteStatus.choices, empty_label=ANY
    )
    valid_until = date_range(gettext_lazy("Valid until between"))
    created_at = date_range(gettext_lazy("Created between"), field_name="created_at__date")

    class Meta:
        model = Quote
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(number__icontains=value)
            | models.Q(prospect_name__icontains=value)
            | models.Q(prospect_email__icontains=value)
            | models.Q(customer__name__icontains=value)
            | models.Q(customer__account_number__iexact=value)
            | models.Q(lead__name__icontains=value)
        )


class QuoteTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("Quote"))
    recipient = tables.Column(verbose_name=gettext_lazy("For"), empty_values=(), orderable=False)
    status = StatusColumn(verbose_name=gettext_lazy("Status"))
    recurring = MoneyColumn(
        verbose_name=gettext_lazy("Recurring"), accessor="recurring_total", orderable=False
    )
    one_time = MoneyColumn(
        verbose_name=gettext_lazy("One-time"), accessor="one_time_total", orderable=False
    )
    valid_until = tables.DateColumn(verbose_name=gettext_lazy("Valid until"), format="Y-m-d")
    created_at = LocalTimeColumn(verbose_name=gettext_lazy("Created"))

    def render_number(self, record: Quote) -> str:
        return format_html(
            '<a href="{}">{} v{}</a>',
            reverse("console:quote", args=[record.pk]),
            record.number,
            record.version,
        )

    def render_recipient(self, record: Quote) -> str:
        return record.recipient_name


class QuoteListView(ListView):
    """``/staff/quotes/``: every quote version, newest first, by status,
    validity and creation date."""

    list_name = "quotes"
    title = gettext_lazy("Quotes")
    model = Quote
    required_perms = ("sales.view_quote",)
    table_class = QuoteTable
    filterset_class = QuoteFilter
    sorts = {
        "created_at": ("created_at",),
        "valid_until": ("valid_until",),
        "number": ("number",),
        "status": ("status",),
    }
    default_sort = "-created_at"
    keyset_sorts = ("id", "created_at", "valid_until", "number")
    export_columns = [
        ExportColumn(gettext_lazy("Quote"), lambda r: r.number),
        ExportColumn(gettext_lazy("Version"), lambda r: r.version),
        ExportColumn(gettext_lazy("For"), lambda r: r.recipient_name),
        ExportColumn(gettext_lazy("Status"), lambda r: r.get_status_display()),
        ExportColumn(gettext_lazy("Currency"), lambda r: r.currency),
        ExportColumn(gettext_lazy("Recurring"), lambda r: r.recurring_total),
        ExportColumn(gettext_lazy("One-time"), lambda r: r.one_time_total),
        ExportColumn(gettext_lazy("Total"), lambda r: r.total),
        ExportColumn(gettext_lazy("Valid until"), lambda r: r.valid_until),
        ExportColumn(gettext_lazy("Created"), lambda r: r.created_at),
    ]

    def get_queryset(self) -> Any:
        return Quote.objects.select_related("customer", "lead")


class QuoteForm(ContractTermsForm):
    """A quote's recipient (one of three), currency, validity and notes, and
    optionally a contract term with its conditions, signed on acceptance."""

    # The recipient and validity first (``sales.services.QUOTE_FIELDS``), the term after.
    field_order = services.QUOTE_FIELDS[: services.QUOTE_FIELDS.index("term_months") + 1]

    customer = forms.CharField(
        label=gettext_lazy("Customer account number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("For an existing customer."),
    )
    lead = forms.ModelChoiceField(
        label=gettext_lazy("Lead"), queryset=Lead.objects.none(), required=False
    )
    prospect_name = forms.CharField(
        label=gettext_lazy("Prospect's name"), max_length=200, required=False
    )
    prospect_email = forms.CharField(
        label=gettext_lazy("Prospect's email"), max_length=254, required=False
    )
    country = forms.CharField(
        label=gettext_lazy("Country of the service address"),
        max_length=2,
        required=False,
        help_text=gettext_lazy("ISO 3166-1 alpha-2, for the tax; default: the ISP's."),
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, required=False)
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea)
    term_months = forms.CharField(
        label=gettext_lazy("Contract term (months)"),
        max_length=4,
        required=False,
        help_text=gettext_lazy(
            "Empty: no contract. With a term, the acceptance also signs a contract on the "
            "conditions below."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A quote without a term has no rules to choose.
        for name in ("termination_fee_rule", "plan_change_rule"):
            self.fields[name].required = False

    def terms(self) -> dict[str, Any]:
        """``term_months`` and ``contract_terms`` as ``sales.services`` takes
        them: none without a term; the conditions given, lists parsed.
        Raises InvalidInput naming the field of a malformed line."""
        clean = self.cleaned_data
        if not clean["term_months"]:
            return {"term_months": None, "contract_terms": {}}
        given = {
            k: clean[k]
            for k in contract_terms.TERMS
            if clean[k] not in (None, "") or k == "auto_renew"
        }
        return {
            "term_months": clean["term_months"],
            "contract_terms": contract_terms.as_lists(given),
        }


class LineForm(forms.Form):
    """A new line: a catalogue product, or a one-time item with its price."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=LineKind.choices)
    plan = forms.ModelChoiceField(
        label=gettext_lazy("Plan"), queryset=Plan.objects.none(), required=False
    )
    addon = forms.ModelChoiceField(
        label=gettext_lazy("Add-on"), queryset=AddOn.objects.none(), required=False
    )
    promotion = forms.ModelChoiceField(
        label=gettext_lazy("Promotion"), queryset=Promotion.objects.none(), required=False
    )
    bundle = forms.ModelChoiceField(
        label=gettext_lazy("Bundle"), queryset=Bundle.objects.none(), required=False
    )
    plan_line = forms.TypedChoiceField(
        label=gettext_lazy("On the plan"), coerce=int, required=False, empty_value=None
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)
    quantity = forms.CharField(label=gettext_lazy("Quantity"), max_length=20, required=False)
    unit_price = forms.CharField(
        label=gettext_lazy("Unit price, net"), max_length=20, required=False
    )
    discount_percent = forms.CharField(
        label=gettext_lazy("Discount (%)"), max_length=10, required=False
    )
    spread_over_term = forms.BooleanField(
        label=gettext_lazy("Spread over the contract term (an installation fee)"),
        required=False,
        help_text=gettext_lazy(
            "One-time items only: the revenue is recognised month by month over the term."
        ),
    )


#: The recipient and validity fields of ``QuoteForm``; the rest are terms.
RECIPIENT_FIELDS = QuoteForm.field_order[:-1]


class QuoteFormView(StaffView):
    """``/staff/quotes/new/`` and ``/staff/quotes/<pk>/edit/``: a draft's
    recipient and terms; the service's refusal is shown at its field (400)."""

    def perms_for(self, **kwargs: Any) -> tuple[str, ...]:
        return QUOTE_PERMS["partial_update" if "pk" in kwargs else "create"]

    def _form(self, data: Any = None, initial: Any = None) -> QuoteForm:
        form = QuoteForm(data, initial=initial)
        form.fields["lead"].queryset = self.scoped(  # type: ignore[attr-defined]
            Lead.objects.exclude(status=LeadStatus.CONVERTED).order_by("name")
        )
        return form

    def _page(self, request: HttpRequest, form: QuoteForm, quote: Quote | None, status: int = 200):
        title = _("Edit quote %(number)s") % {"number": quote.number} if quote else _("New quote")
        return render(
            request,
            "console/quotes/form.html",
            {"title": title, "form": form, "quote": quote},
            status=status,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        quote = self._quote(pk)
        initial = None
        if quote is not None:
            initial = {
                "customer": quote.customer.account_number if quote.customer else "",
                "lead": quote.lead_id,
                "prospect_name": quote.prospect_name,
                "prospect_email": quote.prospect_email,
                "country": quote.country,
                "currency": quote.currency,
                "valid_until": quote.valid_until,
                "notes": quote.notes,
                "term_months": quote.term_months,
                **contract_terms.as_text(quote.contract_terms or {}),
            }
        return self._page(request, self._form(initial=initial), quote)

    def _quote(self, pk: int | None) -> Quote | None:
        if pk is None:
            return None
        return self.get_scoped(Quote.objects.select_related("customer", "lead"), pk=pk)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        quote = self._quote(pk)
        tenant = self.require_tenant()
        form = self._form(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in RECIPIENT_FIELDS}
            number = data.pop("customer").strip()
            data["customer"] = None
            if number:
                customer = Customer.objects.filter(tenant=tenant, account_number=number).first()
                if customer is None:
                    form.add_error("customer", _("No customer has this account number."))
                data["customer"] = customer
            if quote is None:
                data = {k: v for k, v in data.items() if v not in (None, "")}
            else:
                # An emptied validity, currency or country keeps the draft's:
                # they have defaults, not an empty value.
                data = {
                    k: v
                    for k, v in data.items()
                    if v not in (None, "") or k not in ("valid_until", "currency", "country")
                }
            if form.is_valid():
                try:
                    data.update(form.terms())
                    if quote is None:
                        quote = services.create_quote(tenant=tenant, actor=request.user, **data)
                    else:
                        services.update_quote(quote=quote, actor=request.user, **data)
                except ServiceError as exc:
                    show_refusal(form, exc)
                else:
                    return HttpResponseRedirect(
                        reverse("console:quote", args=[quote.pk]), status=303
                    )
        return self._page(request, form, quote, status=400)


class QuoteView(StaffView):
    """``/staff/quotes/<pk>/``: the quote's lines and totals; POST adds a
    line to a draft (errors at their fields, 400)."""

    required_perms: tuple[str, ...] = ("sales.view_quote",)

    def _line_form(self, quote: Quote, data: Any = None) -> LineForm:
        form = LineForm(data)
        for name, model in (
            ("plan", Plan),
            ("addon", AddOn),
            ("promotion", Promotion),
            ("bundle", Bundle),
        ):
            form.fields[name].queryset = self.scoped(  # type: ignore[attr-defined]
                model.objects.filter(is_active=True).order_by("name")
            )
        form.fields["plan_line"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (line.pk, line.description)
            for line in QuoteLine.objects.filter(quote=quote, kind=LineKind.PLAN)
        ]
        return form

    def _page(
        self, request: HttpRequest, quote: Quote, form: Any, status: int = 200, error: str = ""
    ) -> HttpResponse:
        may_edit = self.tenant is not None and request.user.has_perms(EDIT_PERMS)
        return render(
            request,
            "console/quotes/detail.html",
            {
                "title": f"{quote.number} v{quote.version}",
                "quote": quote,
                "lines": selectors.lines_of(quote),
                "taxes": [
                    {"rate": Decimal(row["rate"]), "tax": Decimal(row["tax"])}
                    for row in quote.taxes
                ],
                "versions": selectors.versions_of(quote),
                "contract_terms": contract_terms.described(quote.contract_terms or {}),
                "form": form
                if may_edit
                and request.user.has_perms(QUOTE_PERMS["lines"])
                and quote.status == QuoteStatus.DRAFT
                else None,
                "may_edit": may_edit,
                "is_draft": quote.status == QuoteStatus.DRAFT,
                "is_open": quote.status == QuoteStatus.SENT
                and quote.valid_until >= clock.today(quote.tenant),
                "may_delete": quote.status == QuoteStatus.DRAFT
                and not quote.revises_id
                and request.user.has_perms(QUOTE_PERMS["destroy"]),
                "error": error,
                "may_revise": self.tenant is not None
                and request.user.has_perms(QUOTE_PERMS["revise"])
                and quote.status
                not in (QuoteStatus.DRAFT, QuoteStatus.ACCEPTED, QuoteStatus.REVISED)
                and not Quote.objects.filter(revises=quote).exists(),
                "link": request.build_absolute_uri(
                    reverse("sales-quote-public", args=[quote.token])
                )
                if quote.status == QuoteStatus.SENT
                else "",
            },
            status=status,
        )

    def _quote(self, pk: int) -> Quote:
        return self.get_scoped(
            Quote.objects.select_related("customer", "lead", "tenant", "result_customer"), pk=pk
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = self._quote(pk)
        return self._page(request, quote, self._line_form(quote))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = self._quote(pk)
        self.require_tenant()
        if not request.user.has_perms(QUOTE_PERMS["lines"]):
            return self.handle_no_permission()
        form = self._line_form(quote, request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            try:
                services.add_line(quote=quote, actor=request.user, **data)
            except ServiceError as exc:
                show_refusal(form, exc)
            else:
                return HttpResponseRedirect(reverse("console:quote", args=[quote.pk]), status=303)
        return self._page(request, quote, form, status=400)


# The console's actions and the API action whose permissions each needs.
ACTIONS = {
    "send": "send",
    "resend": "resend",
    "revise": "revise",
    "remove-line": "remove_line",
    "decline": "decline",
    "accept-on-paper": "accept_on_paper",
    "delete": "destroy",
}


class QuoteActionView(QuoteView):
    """``POST /staff/quotes/<pk>/<action>/``: send, send again, revise,
    remove a line (``line``), decline for the customer (``reason``), record
    the customer's paper signature (``name``) or delete a first draft
    (``sales.delete_quote``); back to the quote (a revision: to the new
    version; a deletion: to the list), or the quote's page with the refusal
    (409/400)."""

    http_method_names = ["post"]

    def perms_for(self, **kwargs: Any) -> tuple[str, ...]:
        return QUOTE_PERMS[ACTIONS.get(kwargs.get("action", ""), "retrieve")]

    def post(self, request: HttpRequest, pk: int, action: str = "") -> HttpResponse:
        quote = self.get_scoped(Quote.objects.select_related("tenant"), pk=pk)
        self.require_tenant()
        if action not in ACTIONS:
            return HttpResponse(status=404)
        base_url = request.build_absolute_uri("/").rstrip("/")
        try:
            if action == "send":
                services.send_quote(quote=quote, actor=request.user, base_url=base_url)
            elif action == "resend":
                services.resend_quote(quote=quote, actor=request.user, base_url=base_url)
            elif action == "revise":
                quote = services.revise_quote(quote=quote, actor=request.user)
            elif action == "decline":
                acceptance.decline_quote(
                    quote=quote, actor=request.user, reason=request.POST.get("reason", "")
                )
            elif action == "accept-on-paper":
                acceptance.record_paper_acceptance(
                    quote=quote, actor=request.user, name=request.POST.get("name", "")
                )
            elif action == "delete":
                services.delete_quote(quote=quote, actor=request.user)
                return HttpResponseRedirect(reverse("console:quotes-list"), status=303)
            else:
                raw = request.POST.get("line", "")
                line = self.get_scoped(
                    QuoteLine.objects.filter(quote=quote), pk=int(raw) if params.is_id(raw) else 0
                )
                services.remove_line(line=line, actor=request.user)
        except ServiceError as exc:
            quote = self._quote(quote.pk)
            return self._page(
                request, quote, self._line_form(quote), status=exc.status_code, error=str(exc)
            )
        return HttpResponseRedirect(reverse("console:quote", args=[quote.pk]), status=303)


class QuotePdfView(StaffView):
    """``/staff/quotes/<pk>/pdf/``: the quote as a PDF download."""

    required_perms = ("sales.view_quote",)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = self.get_scoped(Quote.objects.select_related("tenant", "customer", "lead"), pk=pk)
        return pdf_response(quote_pdf(quote), f"{quote.number}-v{quote.version}.pdf")
