"""Scheduled reports and the marketing spend in the console (menu "Reports").

``/staff/reports/schedules/``: the tenant's report schedules with their next
and last run; a form to schedule a report or change one, delete, and "send
now". ``/staff/reports/marketing-spend/``: the spend per month behind CAC,
entered and corrected in a form.

Reading a schedule needs ``reports.view_reports``, writing the add, change or
delete permission of ``reports.reportschedule`` (admin and billing,
``core.roles``), as the API's ``ReportScheduleViewSet``. The marketing spend
needs ``reports.view_marketingspend`` to read, add or change to enter.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.catalog.models import Plan
from ispstack.console.access import StaffView
from ispstack.core.errors import ServiceError
from ispstack.reports import registry, services
from ispstack.reports.models import Frequency, MarketingSpend, RelativeRange, ReportSchedule

VIEW = ("reports.view_reports",)
SPEND_VIEW = ("reports.view_reports", "reports.view_marketingspend")
WEEKDAYS = [
    ("", gettext_lazy("—")),
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]
#: The filters the form offers; a report takes those its registry entry names.
FILTERS = ("plan", "tag")


class ScheduleForm(forms.Form):
    """A schedule's fields; the service checks the rules and names the field
    at fault, which the form shows next to it."""

    report = forms.ChoiceField(label=gettext_lazy("Report"))
    period = forms.ChoiceField(
        label=gettext_lazy("Period covered"),
        choices=RelativeRange.choices,
        initial=RelativeRange.LAST_MONTH,
        help_text=gettext_lazy("Relative to the day it is sent."),
    )
    plan = forms.ChoiceField(label=gettext_lazy("Only the plan"), required=False)
    tag = forms.CharField(label=gettext_lazy("Only customers tagged"), required=False)
    frequency = forms.ChoiceField(label=gettext_lazy("Frequency"), choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Weekday (weekly)"),
        choices=WEEKDAYS,
        coerce=int,
        empty_value=None,
        required=False,
    )
    day_of_month = forms.IntegerField(
        label=gettext_lazy("Day of month (monthly)"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=gettext_lazy("31 sends on the last day of shorter months."),
    )
    send_time = forms.TimeField(
        label=gettext_lazy("Send at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    recipients = forms.CharField(
        label=gettext_lazy("Recipients"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Email addresses, separated by commas or one per line."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, tenant: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["report"].choices = registry.choices()
        fields["plan"].choices = [("", _("All plans"))] + [
            (str(p.pk), p.name) for p in Plan.objects.filter(tenant=tenant).order_by("name")
        ]
        fields["send_time"].help_text = _("Your time zone: %(zone)s.") % {"zone": tenant.timezone}

    @classmethod
    def initial_of(cls, schedule: ReportSchedule) -> dict[str, Any]:
        """A schedule's values as the form's initial data."""
        return {
            "report": schedule.report,
            "period": schedule.period,
            "plan": schedule.params.get("plan", ""),
            "tag": schedule.params.get("tag", ""),
            "frequency": schedule.frequency,
            "weekday": schedule.weekday,
            "day_of_month": schedule.day_of_month,
            "send_time": schedule.send_time,
            "recipients": "\n".join(schedule.recipients),
            "is_active": schedule.is_active,
        }

    def service_kwargs(self) -> dict[str, Any]:
        """The form's values as ``create_schedule`` / ``update_schedule`` keywords:
        the filters the chosen report takes, the others left out."""
        data = self.cleaned_data
        spec = registry.get(data["report"])
        return {
            "report": data["report"],
            "period": data["period"],
            "params": {f: data[f] for f in FILTERS if data.get(f) and f in spec.filters},
            "frequency": data["frequency"],
            "weekday": data.get("weekday"),
            "day_of_month": data.get("day_of_month"),
            "send_time": data["send_time"],
            "recipients": data["recipients"],
            "is_active": data["is_active"],
        }

    def add_service_error(self, exc: ServiceError) -> None:
        """Show a service's error on the field it names (``params.plan`` on ``plan``)."""
        field = (exc.field or "").removeprefix("params.")
        self.add_error(field if field in self.fields else None, exc.message)


class ScheduleListView(StaffView):
    """``/staff/reports/schedules/``: every schedule of the tenant."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        schedules = list(ReportSchedule.objects.filter(tenant=tenant).order_by("report", "id"))
        titles = dict(registry.choices())
        days = {value: label for value, label in WEEKDAYS if value != ""}
        rows = [
            {
                "schedule": s,
                "title": titles.get(s.report, s.report),
                "weekday": days.get(s.weekday, "") if s.weekday is not None else "",
            }
            for s in schedules
        ]
        return render(
            request,
            "console/reports/schedules.html",
            {
                "title": _("Scheduled reports"),
                "slug": "schedules",
                "rows": rows,
                "zone": tenant.timezone,
                "may_add": request.user.has_perm("reports.add_reportschedule"),
                "may_change": request.user.has_perm("reports.change_reportschedule"),
                "may_delete": request.user.has_perm("reports.delete_reportschedule"),
            },
        )


class ScheduleFormView(StaffView):
    """``/staff/reports/schedules/new/`` and ``/staff/reports/schedules/<id>/``:
    schedule a report, or change a schedule."""

    required_perms = VIEW

    def _schedule(self, pk: int | None) -> ReportSchedule | None:
        if pk is None:
            self.check_perm("reports.add_reportschedule")
            return None
        self.check_perm("reports.change_reportschedule")
        return self.get_scoped(ReportSchedule.objects.select_related("tenant"), pk=pk)

    def check_perm(self, perm: str) -> None:
        if not self.request.user.has_perm(perm):
            raise PermissionDenied

    def page(
        self,
        request: HttpRequest,
        form: ScheduleForm,
        schedule: ReportSchedule | None,
        status: int = 200,
    ) -> HttpResponse:
        title = _("Change a scheduled report") if schedule else _("Schedule a report")
        return render(
            request,
            "console/reports/schedule_form.html",
            {"title": title, "slug": "schedules", "form": form, "schedule": schedule},
            status=status,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tenant = self.require_tenant()
        schedule = self._schedule(pk)
        initial = ScheduleForm.initial_of(schedule) if schedule else None
        return self.page(request, ScheduleForm(tenant, initial=initial), schedule)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tenant = self.require_tenant()
        schedule = self._schedule(pk)
        form = ScheduleForm(tenant, request.POST)
        if not form.is_valid():
            return self.page(request, form, schedule, status=400)
        try:
            if schedule is None:
                services.create_schedule(tenant=tenant, actor=request.user, **form.service_kwargs())
            else:
                services.update_schedule(
                    schedule=schedule, actor=request.user, **form.service_kwargs()
                )
        except ServiceError as exc:
            form.add_service_error(exc)
            return self.page(request, form, schedule, status=400)
        messages.success(request, _("Scheduled report saved."))
        return redirect("console:report-schedules")


class ScheduleActionView(StaffView):
    """``POST /staff/reports/schedules/<id>/delete/`` and ``.../send/`` (send now)."""

    required_perms = VIEW
    PERMS = {"delete": "reports.delete_reportschedule", "send": "reports.change_reportschedule"}

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in self.PERMS:
            raise Http404
        if not request.user.has_perm(self.PERMS[action]):
            raise PermissionDenied
        schedule = self.get_scoped(ReportSchedule.objects.select_related("tenant"), pk=pk)
        if action == "delete":
            services.delete_schedule(schedule=schedule, actor=request.user)
            messages.success(request, _("Scheduled report deleted."))
            return redirect("console:report-schedules")
        try:
            delivery = services.send_now(schedule=schedule, actor=request.user)
        except ServiceError as exc:
            messages.error(request, _("Not sent: %(error)s") % {"error": exc.message})
        else:
            messages.success(
                request,
                _("Sent to %(count)s recipients.") % {"count": len(delivery.recipients)},
            )
        return redirect("console:report-schedules")


class SpendForm(forms.Form):
    """One month's marketing spend; the service checks the month (one row per
    month, not in the future) and the amount (zero or more)."""

    month = forms.CharField(
        label=gettext_lazy("Month"),
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("YYYY-MM"),
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=14, decimal_places=4, min_value=0
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class MarketingSpendView(StaffView):
    """``/staff/reports/marketing-spend/`` (list and a form for a new month)
    and ``/staff/reports/marketing-spend/<id>/`` (correct a month)."""

    required_perms = SPEND_VIEW

    def _spend(self, pk: int | None) -> MarketingSpend | None:
        return None if pk is None else self.get_scoped(MarketingSpend.objects.all(), pk=pk)

    def page(
        self, request: HttpRequest, form: SpendForm, spend: MarketingSpend | None, status: int = 200
    ) -> HttpResponse:
        tenant = self.require_tenant()
        perm = "reports.change_marketingspend" if spend else "reports.add_marketingspend"
        return render(
            request,
            "console/reports/marketing_spend.html",
            {
                "title": _("Marketing spend"),
                "slug": "spend",
                "form": form,
                "spend": spend,
                "rows": list(MarketingSpend.objects.filter(tenant=tenant).order_by("-month")),
                "currency": tenant.currency,
                "may_edit": request.user.has_perm(perm),
                "may_change": request.user.has_perm("reports.change_marketingspend"),
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        self.require_tenant()
        spend = self._spend(pk)
        initial = (
            {"month": f"{spend.month:%Y-%m}", "amount": spend.amount, "note": spend.note}
            if spend
            else None
        )
        return self.page(request, SpendForm(initial=initial), spend)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        tenant = self.require_tenant()
        spend = self._spend(pk)
        perm = "reports.change_marketingspend" if spend else "reports.add_marketingspend"
        if not request.user.has_perm(perm):
            raise PermissionDenied
        form = SpendForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, spend, status=400)
        try:
            services.save_marketing_spend(
                tenant=tenant, spend=spend, actor=request.user, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.page(request, form, spend, status=400)
        messages.success(request, _("Marketing spend saved."))
        return redirect("console:reports-spend")
