"""The accounting journal in the console (menu "Finance"): entries per
booking month, an entry's lines, the export of a month or a date range in
the general or Xero layout, and the chart of accounts with its posting
mappings (a mapping's account is changed here; accounts are added in the
admin).

Reading and exporting need ``accounting.view_journalentry``; changing a
mapping ``accounting.change_accountmapping`` (admin and billing, as the
API's ``JournalEntryViewSet``: ``core.roles``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.accounting.chart import ensure_chart
from ispstack.accounting.journal import selectors, services
from ispstack.accounting.models import Account, AccountMapping, JournalEntry
from ispstack.accounting.periods import last_closed_month
from ispstack.console.access import StaffView
from ispstack.core import clock
from ispstack.core.errors import ServiceError
from ispstack.core.models import Tenant

VIEW = ("accounting.view_journalentry",)
MAP = ("accounting.view_journalentry", "accounting.change_accountmapping")

#: Entries shown for one month; the export holds them all.
PAGE_ROWS = 500


class RangeForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    layout = forms.ChoiceField(
        label=gettext_lazy("Layout"),
        choices=[
            ("general", gettext_lazy("General CSV")),
            ("xero", gettext_lazy("Xero manual journal")),
        ],
    )


class JournalView(StaffView):
    """``/staff/journal/?month=YYYY-MM``: the months with entries and the
    entries booked in one (default: the latest with entries)."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        months = selectors.months(tenant)
        wanted = request.GET.get("month", "")
        error = ""
        try:
            period = selectors.month_range(wanted) if wanted else None
        except ServiceError as exc:
            error, period = str(exc), None
        if period is None:
            first = months[0][0] if months else clock.today(tenant).replace(day=1)
            period = selectors.month_range(f"{first:%Y-%m}")
        rows = (
            selectors.entries(tenant, period)
            .annotate(amount=Sum("lines__debit"))
            .order_by("booking_date", "number")
        )
        closed = last_closed_month(tenant)
        return render(
            request,
            "console/journal/list.html",
            {
                "title": _("Journal"),
                "months": months,
                "month": f"{period.start:%Y-%m}",
                "period": period,
                "rows": list(rows[:PAGE_ROWS]),
                "limit": PAGE_ROWS,
                "error": error,
                "range_form": RangeForm(initial={"start": period.start, "end": period.end}),
                # Months close in order: one after the last closed is open.
                "open": closed is None or period.start > closed,
            },
            status=400 if error else 200,
        )


class EntryView(StaffView):
    """``/staff/journal/<id>/``: one entry and its lines."""

    required_perms = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = self.get_scoped(JournalEntry.objects.all(), pk=pk)
        lines = list(entry.lines.select_related("account").order_by("id"))
        debit = sum((line.debit for line in lines), Decimal(0))
        return render(
            request,
            "console/journal/entry.html",
            {"title": entry.number, "entry": entry, "lines": lines, "total": debit},
        )


class ExportView(StaffView):
    """``/staff/journal/export/?month=YYYY-MM&layout=general|xero`` (or
    ``start`` and ``end`` instead of ``month``): the file to download."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        try:
            if request.GET.get("month"):
                period = selectors.month_range(request.GET["month"])
            else:
                form = RangeForm(request.GET)
                if not form.is_valid():
                    messages.error(request, _("Give a month, or a start and an end date."))
                    return redirect("console:journal")
                start: dt.date = form.cleaned_data["start"]
                period = selectors.date_range(start, form.cleaned_data["end"])
            export = services.export_journal(
                tenant=tenant, period=period, layout=request.GET.get("layout") or "general"
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
            return redirect("console:journal")
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


class MappingForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), label=gettext_lazy("Account"))

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        field.queryset = Account.objects.for_tenant(tenant).filter(is_active=True)  # type: ignore[attr-defined]


class ChartView(StaffView):
    """``/staff/journal/chart/``: the accounts and where each posting role goes."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        ensure_chart(tenant)
        mappings = AccountMapping.objects.for_tenant(tenant).select_related("account")
        return render(
            request,
            "console/journal/chart.html",
            {
                "title": _("Chart of accounts"),
                "accounts": list(Account.objects.for_tenant(tenant)),
                "mappings": [
                    (m, MappingForm(tenant=tenant, initial={"account": m.account}))
                    for m in mappings
                ],
            },
        )


class MappingView(StaffView):
    """``POST /staff/journal/chart/<id>/``: point a posting role at another account."""

    required_perms = MAP

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        tenant = self.require_tenant()
        mapping = self.get_scoped(AccountMapping.objects.all(), pk=pk)
        form = MappingForm(request.POST, tenant=tenant)
        if not form.is_valid():
            messages.error(request, _("Choose one of the tenant's active accounts."))
            return redirect("console:journal-chart")
        try:
            services.map_account(
                tenant=tenant,
                mapping=mapping,
                account=form.cleaned_data["account"],
                actor=request.user,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(mapping)s saved.") % {"mapping": mapping})
        return redirect("console:journal-chart")
