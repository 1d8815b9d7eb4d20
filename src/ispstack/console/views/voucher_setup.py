"""Voucher plans and agents in the staff console: create and edit forms
(``/staff/vouchers/plans/new/``, ``/staff/vouchers/plans/<pk>/``, the same
under ``agents/``), written through ``hotspot.vouchers.services`` like the API.

A clerk types durations with a unit (minutes, hours, days), the data limit in
GB (10^9 bytes, as the plans' data caps) and the sale window in the tenant's
local time; the form turns them into the services' seconds, bytes and aware
UTC instants. A refusal is shown at the field it names (400). Writing needs
the add or change permission of the model (admin and billing,
``core.roles``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.catalog.models import TaxRate
from ispstack.console.access import StaffView
from ispstack.console.forms.shared import as_typed, show_refusal, typed_in_zone
from ispstack.core.errors import ServiceError
from ispstack.hotspot.models import DurationStart, VoucherAgent, VoucherPlan
from ispstack.hotspot.vouchers import services

UNITS = (
    ("minutes", gettext_lazy("minutes")),
    ("hours", gettext_lazy("hours")),
    ("days", gettext_lazy("days")),
)
SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
GB = 10**9


def in_unit(seconds: int | None) -> tuple[int | None, str]:
    """``seconds`` as the largest whole unit of ``UNITS``: (1, "days") for 86400."""
    if seconds is None:
        return None, "hours"
    for unit in ("days", "hours", "minutes"):
        if seconds % SECONDS[unit] == 0:
            return seconds // SECONDS[unit], unit
    return seconds // 60, "minutes"


class VoucherPlanForm(forms.Form):
    """A voucher plan in a clerk's units (see the module docstring)."""

    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    validity = forms.IntegerField(label=gettext_lazy("Valid for"), min_value=1)
    validity_unit = forms.ChoiceField(label=gettext_lazy("Unit of validity"), choices=UNITS)
    duration_start = forms.ChoiceField(
        label=gettext_lazy("Validity counted from"), choices=DurationStart.choices
    )
    online_time = forms.IntegerField(
        label=gettext_lazy("Online time (empty: the whole validity)"), min_value=1, required=False
    )
    online_time_unit = forms.ChoiceField(label=gettext_lazy("Unit of online time"), choices=UNITS)
    data_limit_gb = forms.DecimalField(
        label=gettext_lazy("Data limit in GB (empty: unlimited)"),
        min_value=Decimal("0.001"),
        decimal_places=3,
        required=False,
    )
    download_kbps = forms.IntegerField(label=gettext_lazy("Download (kbit/s)"), min_value=1)
    upload_kbps = forms.IntegerField(label=gettext_lazy("Upload (kbit/s)"), min_value=1)
    simultaneous_use = forms.IntegerField(
        label=gettext_lazy("Devices at once"), min_value=1, max_value=100, initial=1
    )
    price = forms.DecimalField(label=gettext_lazy("Price, net of tax"), min_value=0)
    tax_rate = forms.ModelChoiceField(
        label=gettext_lazy("Tax rate"), queryset=TaxRate.objects.none()
    )
    valid_from = forms.DateTimeField(
        label=gettext_lazy("Sold from (local time, optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    valid_until = forms.DateTimeField(
        label=gettext_lazy("Sold until (local time, optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("On sale (new batches may be printed)"), required=False, initial=True
    )


# The service's field names and the form field a clerk typed them in.
PLAN_FIELD_OF = {
    "duration_seconds": "validity",
    "time_limit_seconds": "online_time",
    "data_limit_bytes": "data_limit_gb",
}


class VoucherPlanFormView(StaffView):
    """``/staff/vouchers/plans/new/`` and ``/staff/vouchers/plans/<pk>/``."""

    required_perms = (
        "hotspot.view_voucherplan",
        "hotspot.add_voucherplan",
        "hotspot.change_voucherplan",
    )

    def _page(
        self,
        request: HttpRequest,
        form: VoucherPlanForm,
        plan: VoucherPlan | None,
        status: int = 200,
    ) -> HttpResponse:
        title = _("Voucher plan %(name)s") % {"name": plan.name} if plan else _("New voucher plan")
        return render(
            request,
            "console/vouchers/setup_form.html",
            {"title": title, "form": form, "row": plan, "currency": self._currency(plan)},
            status=status,
        )

    def _currency(self, plan: VoucherPlan | None) -> str:
        return plan.currency if plan else self.require_tenant().currency

    def _form(self, data: Any = None, initial: Any = None) -> VoucherPlanForm:
        form = VoucherPlanForm(data, initial=initial)
        form.fields["tax_rate"].queryset = self.scoped(TaxRate.objects.all())  # type: ignore[attr-defined]
        return form

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        self.require_tenant()
        plan = self.get_scoped(VoucherPlan.objects.all(), pk=pk) if pk else None
        initial: dict[str, Any] = {"validity_unit": "hours", "online_time_unit": "hours"}
        if plan is not None:
            validity, validity_unit = in_unit(plan.duration_seconds)
            online, online_unit = in_unit(plan.time_limit_seconds)
            initial = {
                field: getattr(plan, field)
                for field in VoucherPlanForm.base_fields
                if hasattr(plan, field)
            }
            initial.update(
                tax_rate=plan.tax_rate_id,
                validity=validity,
                validity_unit=validity_unit,
                online_time=online,
                online_time_unit=online_unit,
                data_limit_gb=Decimal(plan.data_limit_bytes) / GB
                if plan.data_limit_bytes
                else None,
                valid_from=as_typed(plan.valid_from, plan.tenant),
                valid_until=as_typed(plan.valid_until, plan.tenant),
            )
        return self._page(request, self._form(initial=initial), plan)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tenant = self.require_tenant()
        plan = self.get_scoped(VoucherPlan.objects.all(), pk=pk) if pk else None
        form = self._form(request.POST)
        if not form.is_valid():
            return self._page(request, form, plan, 400)
        data = self._values(form.cleaned_data, tenant)
        try:
            if plan is None:
                plan = services.create_plan(tenant=tenant, actor=request.user, **data)
            else:
                plan = services.update_plan(plan=plan, actor=request.user, **data)
        except ServiceError as error:
            show_refusal(form, error, PLAN_FIELD_OF)
            return self._page(request, form, plan, error.status_code)
        return HttpResponseRedirect(reverse("console:vouchers") + "#voucher-plans", status=303)

    @staticmethod
    def _values(clean: dict[str, Any], tenant: Any) -> dict[str, Any]:
        online = clean["online_time"]
        gigabytes = clean["data_limit_gb"]
        return {
            "code": clean["code"],
            "name": clean["name"],
            "duration_seconds": clean["validity"] * SECONDS[clean["validity_unit"]],
            "duration_start": clean["duration_start"],
            "time_limit_seconds": online * SECONDS[clean["online_time_unit"]] if online else None,
            "data_limit_bytes": int(gigabytes * GB) if gigabytes else None,
            "download_kbps": clean["download_kbps"],
            "upload_kbps": clean["upload_kbps"],
            "simultaneous_use": clean["simultaneous_use"],
            "price": clean["price"],
            "tax_rate": clean["tax_rate"],
            "valid_from": typed_in_zone(clean["valid_from"], tenant),
            "valid_until": typed_in_zone(clean["valid_until"], tenant),
            "is_active": clean["is_active"],
        }


class VoucherAgentForm(forms.Form):
    """A reseller who sells printed vouchers for a commission."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    commission_percent = forms.DecimalField(
        label=gettext_lazy("Commission (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        initial=0,
    )


class VoucherAgentFormView(StaffView):
    """``/staff/vouchers/agents/new/`` and ``/staff/vouchers/agents/<pk>/``."""

    required_perms = (
        "hotspot.view_voucheragent",
        "hotspot.add_voucheragent",
        "hotspot.change_voucheragent",
    )

    def _page(
        self,
        request: HttpRequest,
        form: VoucherAgentForm,
        agent: VoucherAgent | None,
        status: int = 200,
    ) -> HttpResponse:
        title = _("Agent %(name)s") % {"name": agent.name} if agent else _("New voucher agent")
        return render(
            request,
            "console/vouchers/setup_form.html",
            {"title": title, "form": form, "row": agent},
            status=status,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        self.require_tenant()
        agent = self.get_scoped(VoucherAgent.objects.all(), pk=pk) if pk else None
        initial = (
            {field: getattr(agent, field) for field in VoucherAgentForm.base_fields}
            if agent
            else None
        )
        return self._page(request, VoucherAgentForm(initial=initial), agent)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tenant = self.require_tenant()
        agent = self.get_scoped(VoucherAgent.objects.all(), pk=pk) if pk else None
        form = VoucherAgentForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, agent, 400)
        try:
            if agent is None:
                services.create_agent(tenant=tenant, actor=request.user, **form.cleaned_data)
            else:
                services.update_agent(agent=agent, actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            show_refusal(form, error)
            return self._page(request, form, agent, error.status_code)
        return HttpResponseRedirect(reverse("console:vouchers") + "#voucher-agents", status=303)
