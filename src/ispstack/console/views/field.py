"""Field service in the console (menu "Field service"): a technician's day
list, and the dispatchers' week calendar of technicians by team.

"My day" needs ``tickets.view_appointment`` (technician, support, admin);
a technician sees their own visits, a dispatcher holding
``tickets.view_technician`` may open anyone's with ``?technician=``. Moving
a visit along and completing it need ``tickets.change_appointment`` (and
``tickets.add_appointmentphoto`` to complete), on one's own visits unless
one dispatches visits (books them: support, admin; ``selectors.may_act``).
Every row is scoped to the user's tenant; another tenant's visit answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from ispstack.console.access import StaffView
from ispstack.core import clock
from ispstack.core.errors import ServiceError
from ispstack.tickets.field import selectors, services
from ispstack.tickets.models import Team, TeamMember
from ispstack.tickets.models.field import Appointment, Technician

CALENDAR_DAYS = 7
COMPLETE_PERMS = ("tickets.change_appointment", "tickets.add_appointmentphoto")


class DayForm(forms.Form):
    date = forms.DateField(required=False)
    technician = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    team = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class CompleteForm(forms.Form):
    notes = forms.CharField(required=False, max_length=10000, widget=forms.Textarea)
    serials = forms.CharField(
        required=False,
        max_length=3300,
        widget=forms.Textarea,
        help_text="One serial number a line.",
    )


def _today_or(form: DayForm, tenant: Any) -> dt.date:
    day = form.cleaned_data.get("date") if form.is_valid() else None
    return day or (clock.today(tenant) if tenant else clock.now().date())


class MyDayView(StaffView):
    """``/staff/field/my-day/``: the day's visits of the technician, in order,
    with the customer, address, phone, an OpenStreetMap link and the next
    step's button."""

    required_perms = ("tickets.view_appointment",)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = DayForm(request.GET)
        day = _today_or(form, self.tenant)
        technician = (
            self.scoped(Technician.objects.select_related("user")).filter(user=request.user).first()
        )
        asked = form.cleaned_data.get("technician") if form.is_valid() else None
        if asked and (technician is None or asked != technician.pk):
            if not request.user.has_perm("tickets.view_technician"):
                raise PermissionDenied
            technician = self.get_scoped(Technician.objects.select_related("user"), pk=asked)
        rows: list[Appointment] = []
        if technician is not None:
            queryset = selectors.appointments(request.user).filter(technician=technician)
            tenant = self.tenant or technician.tenant
            rows = selectors.label_times(list(selectors.on_day(queryset, tenant, day)), tenant)
        context = {
            "title": _("My day")
            if technician and technician.user_id == request.user.pk
            else _("Day list"),
            "technician": technician,
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "rows": rows,
            "may_act": technician is not None and _may_act(request.user, technician),
            "may_complete": request.user.has_perms(COMPLETE_PERMS),
        }
        return render(request, "console/field/my_day.html", context)


def _may_act(user: Any, technician: Technician) -> bool:
    return selectors.may_act(user, technician)


class _AppointmentAction(StaffView):
    def appointment(self, pk: int) -> Appointment:
        visit = self.get_scoped(Appointment.objects.select_related("technician", "tenant"), pk=pk)
        if not _may_act(self.request.user, visit.technician):
            raise PermissionDenied
        return visit

    def back(self, visit: Appointment) -> HttpResponseRedirect:
        day = visit.starts_at.astimezone(ZoneInfo(visit.tenant.timezone)).date()
        query = f"?date={day}"
        if visit.technician.user_id != self.request.user.pk:
            query += f"&technician={visit.technician_id}"
        return HttpResponseRedirect(f"{reverse('console:field-my-day')}{query}#visit-{visit.pk}")


class TransitionView(_AppointmentAction):
    """POST ``/staff/field/appointments/<pk>/transition/``: en route, on site,
    failed (with a reason) or cancelled."""

    required_perms = ("tickets.change_appointment",)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        visit = self.appointment(pk)
        try:
            services.transition_appointment(
                appointment=visit,
                actor=request.user,
                action=str(request.POST.get("action", "")),
                reason=str(request.POST.get("reason", ""))[:1000],
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Visit updated."))
        return self.back(visit)


class CompleteView(_AppointmentAction):
    """POST ``/staff/field/appointments/<pk>/complete/`` (multipart): notes,
    serials (one a line) and photos."""

    required_perms = COMPLETE_PERMS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        visit = self.appointment(pk)
        form = CompleteForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
            )
            return self.back(visit)
        try:
            services.complete_appointment(
                appointment=visit,
                actor=request.user,
                notes=form.cleaned_data["notes"],
                serials=form.cleaned_data["serials"].splitlines(),
                photos=request.FILES.getlist("photos"),
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Visit completed."))
        return self.back(visit)


class CalendarView(StaffView):
    """``/staff/field/calendar/``: a week of visits, technicians by days, for
    one team (``?team=``) or all technicians; ``?date=`` picks the week."""

    required_perms = ("tickets.view_appointment", "tickets.view_technician")

    def get(self, request: HttpRequest) -> HttpResponse:
        form = DayForm(request.GET)
        day = _today_or(form, self.tenant)
        first = day - dt.timedelta(days=day.weekday())
        teams = list(self.scoped(Team.objects.all()).order_by("name"))
        team = None
        techs = selectors.technicians(request.user).filter(is_active=True)
        asked = form.cleaned_data.get("team") if form.is_valid() else None
        if asked:
            team = self.get_scoped(Team.objects.all(), pk=asked)
            members = TeamMember.objects.filter(team=team).values("user_id")
            techs = techs.filter(user_id__in=members)
        tech_list = list(techs)
        rows: list[Appointment] = []
        if self.tenant is not None and tech_list:
            begin = clock.start_of_day(self.tenant, first)
            end = clock.start_of_day(self.tenant, first + dt.timedelta(days=CALENDAR_DAYS))
            rows = selectors.label_times(
                list(
                    selectors.appointments(request.user).filter(
                        technician__in=tech_list, starts_at__gte=begin, starts_at__lt=end
                    )
                ),
                self.tenant,
            )
        days = [first + dt.timedelta(days=i) for i in range(CALENDAR_DAYS)]
        grid = (
            selectors.week_grid(self.tenant, tech_list, rows, first, CALENDAR_DAYS)
            if self.tenant
            else []
        )
        context = {
            "title": _("Field calendar"),
            "teams": teams,
            "team": team,
            "days": days,
            "grid": grid,
            "previous_week": first - dt.timedelta(days=7),
            "next_week": first + dt.timedelta(days=7),
        }
        return render(request, "console/field/calendar.html", context)
