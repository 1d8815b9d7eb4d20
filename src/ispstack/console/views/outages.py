"""Outages in the console (menu "Helpdesk"): the list, an outage's page
(scope, affected subscriptions, grouped tickets, timeline), the declare form
(a site, sector, NAS or device) and the resolve, cancel and new-expected-end
actions.

Reading needs ``tickets.view_outage`` (support, noc, billing, admin);
declaring ``tickets.add_outage``, acting on one ``tickets.change_outage``
(support, noc, admin), as the API's ``OutageViewSet`` (``core.roles``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.console.forms.shared import typed_in_zone
from ispstack.core.errors import ServiceError
from ispstack.core.models import AuditLog
from ispstack.network.models import Device, Nas, Sector, Site
from ispstack.tickets.choices import OPEN_STATES
from ispstack.tickets.models import Outage, OutageCause, OutageImpact, OutageState, Ticket
from ispstack.tickets.outages import selectors, services

LIST_SIZE = 100
IMPACTS_SHOWN = 50
VIEW = ("tickets.view_outage",)
WORK = ("tickets.view_outage", "tickets.change_outage")

SCOPE_CHOICES = [
    ("site", gettext_lazy("Site")),
    ("sector", gettext_lazy("Sector")),
    ("nas", gettext_lazy("NAS")),
    ("device", gettext_lazy("Device")),
]


class DeclareForm(forms.Form):
    scope_kind = forms.ChoiceField(
        label=gettext_lazy("What is down"), choices=SCOPE_CHOICES, widget=forms.RadioSelect
    )
    site = forms.ModelChoiceField(Site.objects.none(), required=False, label=gettext_lazy("Site"))
    sector = forms.ModelChoiceField(
        Sector.objects.none(), required=False, label=gettext_lazy("Sector")
    )
    nas = forms.ModelChoiceField(Nas.objects.none(), required=False, label=gettext_lazy("NAS"))
    device = forms.ModelChoiceField(
        Device.objects.none(), required=False, label=gettext_lazy("Device")
    )
    cause = forms.ChoiceField(label=gettext_lazy("Cause"), choices=OutageCause.choices)
    description = forms.CharField(
        label=gettext_lazy("Description for the customers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )
    started_at = forms.DateTimeField(
        label=gettext_lazy("Start"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Your local time. Blank: now; later than now: planned maintenance."),
    )
    expected_end_at = forms.DateTimeField(
        label=gettext_lazy("Expected end"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    notify_customers = forms.BooleanField(
        label=gettext_lazy("Email and text the affected customers"), required=False, initial=True
    )

    def __init__(self, tenant: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        fields: Any = self.fields
        fields["site"].queryset = Site.objects.filter(tenant=tenant).order_by("name")
        fields["sector"].queryset = (
            Sector.objects.filter(tenant=tenant)
            .select_related("site")
            .order_by("site__name", "name")
        )
        fields["nas"].queryset = Nas.objects.filter(tenant=tenant).order_by("shortname")
        fields["device"].queryset = Device.objects.filter(tenant=tenant).order_by("name", "id")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("scope_kind")
        if kind and not data.get(kind):
            self.add_error(kind, _("Choose the %(kind)s that is down.") % {"kind": kind})
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The form's values as ``declare_outage`` keywords; the local
        times entered are the tenant's wall-clock times."""
        data = self.cleaned_data
        kind = data["scope_kind"]
        return {
            kind: data[kind],
            "cause": data["cause"],
            "description": data["description"],
            "started_at": typed_in_zone(data.get("started_at"), self.tenant),
            "expected_end_at": typed_in_zone(data.get("expected_end_at"), self.tenant),
            "notify_customers": data["notify_customers"],
        }


class EndForm(forms.Form):
    expected_end_at = forms.DateTimeField(
        label=gettext_lazy("New expected end"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    notify = forms.BooleanField(
        label=gettext_lazy("Tell the affected customers"), required=False, initial=True
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note for the log"), required=False, max_length=1000)


class OutageListView(StaffView):
    """``/staff/outages/?state=``: open outages first, then the latest ones."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        rows = selectors.outage_list(tenant)
        state = request.GET.get("state", "")
        if state in OutageState.values:
            rows = rows.filter(state=state)
        return render(
            request,
            "console/outages/list.html",
            {
                "title": _("Outages"),
                "outages": list(rows[:LIST_SIZE]),
                "states": OutageState.choices,
                "state": state,
            },
        )


class OutageView(StaffView):
    """``/staff/outages/<id>/``: the outage, the subscriptions it hit (the
    first ``IMPACTS_SHOWN``), the tickets grouped under it, its timeline
    from the audit log, and the forms that act on it."""

    required_perms = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        outage = self.get_scoped(
            Outage.objects.select_related(
                "tenant", "site", "sector__site", "nas", "device", "created_by", "resolved_by"
            ),
            pk=pk,
        )
        impacts = list(
            OutageImpact.objects.filter(outage=outage)
            .select_related("subscription", "customer")
            .order_by("id")[:IMPACTS_SHOWN]
        )
        grouped = list(
            Ticket.objects.filter(outage=outage).select_related("customer").order_by("-created_at")
        )
        timeline = list(
            AuditLog.objects.filter(
                tenant=outage.tenant_id, object_type="tickets.outage", object_id=str(outage.pk)
            ).order_by("created_at", "id")
        )
        return render(
            request,
            "console/outages/detail.html",
            {
                "title": str(outage),
                "outage": outage,
                "impacts": impacts,
                "more_impacts": max(outage.affected_count - len(impacts), 0),
                "grouped": grouped,
                "open_grouped": sum(1 for t in grouped if t.state in OPEN_STATES),
                "timeline": timeline,
                "end_form": EndForm(prefix="end"),
                "note_form": NoteForm(),
            },
        )


class DeclareView(StaffView):
    """``/staff/outages/new/``: declare an outage on a site, sector, NAS or device."""

    required_perms = ("tickets.view_outage", "tickets.add_outage")

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        return self.page(request, DeclareForm(tenant))

    def page(self, request: HttpRequest, form: DeclareForm) -> HttpResponse:
        return render(
            request, "console/outages/new.html", {"title": _("Declare an outage"), "form": form}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        form = DeclareForm(tenant, request.POST)
        if not form.is_valid():
            return self.page(request, form)
        try:
            outage = services.declare_outage(
                tenant=tenant, actor=request.user, **form.service_kwargs()
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.page(request, form)
        messages.success(
            request,
            _("Outage %(number)s declared: %(count)s subscriptions affected.")
            % {"number": outage.number, "count": outage.affected_count},
        )
        return redirect("console:outage", pk=outage.pk)


class OutageActionView(StaffView):
    """``POST /staff/outages/<id>/<action>/``: ``resolve``, ``cancel`` or
    ``end`` (a new expected end), through ``tickets.outages.services``."""

    required_perms = VIEW
    ACTIONS = ("resolve", "cancel", "end")

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        outage = self.get_scoped(Outage.objects.select_related("tenant"), pk=pk)
        if action not in self.ACTIONS:
            return redirect("console:outage", pk=outage.pk)
        if not request.user.has_perms(WORK):
            raise PermissionDenied
        try:
            done = self.act(request, outage, action)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            if done:
                messages.success(request, done)
        return redirect("console:outage", pk=outage.pk)

    def act(self, request: HttpRequest, outage: Outage, action: str) -> str:
        if action == "end":
            form: forms.Form = EndForm(request.POST, prefix="end")
            if not form.is_valid():
                return self.invalid(request, form)
            services.update_outage(
                outage=outage,
                expected_end_at=typed_in_zone(form.cleaned_data["expected_end_at"], outage.tenant),
                notify=form.cleaned_data["notify"],
                actor=request.user,
            )
            return _("Expected end changed.")
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self.invalid(request, form)
        if action == "cancel":
            services.cancel_outage(
                outage=outage, note=form.cleaned_data["note"], actor=request.user
            )
            return _("Planned outage cancelled.")
        done = services.resolve_outage(
            outage=outage, note=form.cleaned_data["note"], actor=request.user
        )
        return _("Outage %(number)s resolved.") % {"number": done.number}

    def invalid(self, request: HttpRequest, form: forms.Form) -> str:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return ""
