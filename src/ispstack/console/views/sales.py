"""Sales and provisioning: leads (coverage, surveys, conversion) and the
service orders pipeline (counts per step and status, each order's step
timeline with advance, retry and cancel behind a confirmation page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.core.errors import ServiceError
from ispstack.network.models import IPPool
from ispstack.provisioning import orders, services
from ispstack.provisioning.choices import LeadStatus, OrderStatus, StepName, StepStatus
from ispstack.provisioning.models import Lead, OrderStep, ServiceOrder, SiteSurvey, SurveyPhoto

PAGE = 100


class SurveyPhotoView(StaffView):
    """``/staff/survey-photos/<id>/``: a survey photo, shown inline (MEDIA is
    not served; this view checks the user's tenant). The file's signature is
    checked again against its recorded type, so only a JPEG, PNG or WebP
    image is ever answered (never a file swapped on disk for HTML or script);
    ``nosniff`` and a CSP without sources keep the browser to the image."""

    required_perms = ("provisioning.view_surveyphoto",)

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        photo = self.get_scoped(SurveyPhoto.objects.all(), pk=pk)
        try:
            handle = photo.image.open("rb")
        except FileNotFoundError:
            raise Http404("the photo's file is missing") from None
        head = handle.read(12)
        handle.seek(0)
        if services.photo_type(head) != photo.content_type:
            handle.close()
            raise Http404("the photo's file is not the image it was stored as")
        response = FileResponse(handle, content_type=photo.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ConvertForm(forms.Form):
    """What a conversion needs besides the lead."""

    username = forms.CharField(
        label=gettext_lazy("RADIUS username"),
        max_length=64,
        help_text=gettext_lazy("The subscriber's PPPoE login, e.g. name@isp.example."),
    )
    pool = forms.ModelChoiceField(
        label=gettext_lazy("IPv4 pool"), queryset=IPPool.objects.none(), required=False
    )
    cpe_serial = forms.CharField(label=gettext_lazy("CPE serial"), max_length=64, required=False)
    force = forms.BooleanField(
        label=gettext_lazy("Convert without a serviceable survey"), required=False
    )


class LeadView(StaffView):
    """``/staff/leads/<pk>/``: a lead, its coverage result, its surveys and
    the conversion form (POST converts, errors shown on the form)."""

    required_perms = ("provisioning.view_lead", "provisioning.view_sitesurvey")

    def _page(self, request: HttpRequest, lead: Lead, form: Any, status: int = 200) -> HttpResponse:
        surveys = list(
            SiteSurvey.objects.filter(lead=lead)
            .select_related("surveyor")
            .prefetch_related(Prefetch("photos", queryset=SurveyPhoto.objects.order_by("pk")))
            .annotate(photo_count=Count("photos"))
            .order_by("-scheduled_at")
        )
        may_convert = (
            lead.status != LeadStatus.CONVERTED
            and self.tenant is not None
            and request.user.has_perms(
                ("provisioning.change_lead", "provisioning.add_serviceorder")
            )
        )
        return render(
            request,
            "console/sales/lead.html",
            {
                "title": lead.name,
                "lead": lead,
                "surveys": surveys,
                "may_view_photos": request.user.has_perm("provisioning.view_surveyphoto"),
                "form": form if may_convert else None,
                "order": ServiceOrder.objects.filter(lead=lead).first(),
                "may_check": lead.status != LeadStatus.CONVERTED
                and self.tenant is not None
                and request.user.has_perms(("provisioning.change_lead", "network.view_site")),
            },
            status=status,
        )

    def _form(self, data: Any = None) -> ConvertForm:
        form = ConvertForm(data)
        form.fields["pool"].queryset = self.scoped(IPPool.objects.order_by("name"))  # type: ignore[attr-defined]
        return form

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_scoped(Lead.objects.select_related("plan", "customer", "site"), pk=pk)
        return self._page(request, lead, self._form())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_scoped(Lead.objects.select_related("plan", "customer"), pk=pk)
        self.require_tenant()
        form = self._form(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            try:
                order = services.convert_lead(lead=lead, actor=request.user, **data)
            except ServiceError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message if field else str(exc))
            else:
                return HttpResponseRedirect(reverse("console:order", args=[order.pk]), status=303)
        return self._page(request, lead, form, status=400)


class LeadCoverageView(StaffView):
    """``POST /staff/leads/<pk>/coverage/``: run the coverage check, back to the lead."""

    required_perms = ("provisioning.change_lead", "network.view_site")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_scoped(Lead.objects.all(), pk=pk)
        self.require_tenant()
        try:
            services.check_coverage(lead=lead, actor=request.user)
        except ServiceError as exc:
            return render(
                request,
                "console/sales/coverage_failed.html",
                {"title": _("Coverage check"), "lead": lead, "error": str(exc)},
                status=400,
            )
        return HttpResponseRedirect(reverse("console:lead", args=[lead.pk]), status=303)


class OrdersView(StaffView):
    """``/staff/orders/``: how many orders wait at each step in each status,
    and the orders, filtered by the step they are at and its status."""

    required_perms = ("provisioning.view_serviceorder",)

    def get(self, request: HttpRequest) -> HttpResponse:
        step = request.GET.get("step", "")
        status = request.GET.get("status", "")
        steps = self.scoped(OrderStep.objects.filter(order__status=OrderStatus.OPEN))
        counts: dict[str, dict[str, int]] = {name: {} for name in StepName.values}
        for row in steps.values("name", "status").annotate(n=Count("id")):
            counts[row["name"]][row["status"]] = row["n"]
        pipeline = [
            {
                "step": value,
                "label": label,
                "cells": [{"status": s, "n": counts[value].get(s, 0)} for s in StepStatus.values],
            }
            for value, label in StepName.choices
        ]
        listed = self.scoped(
            ServiceOrder.objects.select_related("subscription", "customer")
        ).order_by("-id")
        if step in StepName.values and status in StepStatus.values:
            listed = listed.filter(steps__name=step, steps__status=status)
        elif status in OrderStatus.values:
            listed = listed.filter(status=status)
        return render(
            request,
            "console/sales/orders.html",
            {
                "title": _("Service orders"),
                "pipeline": pipeline,
                "step_statuses": StepStatus.choices,
                "orders": list(listed[:PAGE]),
                "step": step,
                "status": status,
            },
        )


ACTIONS = {
    "advance": (gettext_lazy("Advance"), False),
    "retry": (gettext_lazy("Retry now"), False),
    "cancel": (gettext_lazy("Cancel the order"), True),
}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class OrderView(StaffView):
    """``/staff/orders/<pk>/``: one order and its step timeline."""

    required_perms = ("provisioning.view_serviceorder",)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.get_scoped(
            ServiceOrder.objects.select_related(
                "subscription", "customer", "lead", "pool", "technician"
            ).prefetch_related(Prefetch("steps", queryset=OrderStep.objects.order_by("position"))),
            pk=pk,
        )
        may_act = (
            order.status == OrderStatus.OPEN
            and self.tenant is not None
            and request.user.has_perm("provisioning.change_serviceorder")
        )
        return render(
            request,
            "console/sales/order.html",
            {
                "title": _("Order %(id)s") % {"id": order.pk},
                "order": order,
                "steps": list(order.steps.all()),
                "actions": [{"key": k, "label": v[0], "danger": v[1]} for k, v in ACTIONS.items()]
                if may_act
                else [],
            },
        )


class OrderActionView(StaffView):
    """``/staff/orders/<pk>/<action>/``: confirm (GET) and do (POST) advance,
    retry or cancel."""

    required_perms = ("provisioning.view_serviceorder", "provisioning.change_serviceorder")

    def _order(self, pk: int, action: str) -> ServiceOrder:
        if action not in ACTIONS:
            raise Http404("No such action.")
        if self.tenant is None:
            raise PermissionDenied
        order: ServiceOrder = self.get_scoped(
            ServiceOrder.objects.select_related("subscription"), pk=pk
        )
        return order

    def _page(
        self,
        request: HttpRequest,
        order: ServiceOrder,
        action: str,
        form: Any,
        error: str = "",
        status: int = 200,
    ) -> HttpResponse:
        label, danger = ACTIONS[action]
        return render(
            request,
            "console/sales/order_action.html",
            {
                "title": label,
                "order": order,
                "action": {"key": action, "label": label, "danger": danger},
                "form": form,
                "error": error,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        order = self._order(pk, action)
        return self._page(request, order, action, ReasonForm() if action == "cancel" else None)

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        order = self._order(pk, action)
        form = ReasonForm(request.POST) if action == "cancel" else None
        try:
            if action == "cancel":
                if form is None or not form.is_valid():
                    return self._page(request, order, action, form, status=400)
                orders.cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
            elif action == "retry":
                orders.retry(order=order, actor=request.user)
            else:
                orders.advance(order=order, actor=request.user)
        except ServiceError as exc:
            return self._page(request, order, action, form, error=str(exc), status=409)
        return HttpResponseRedirect(reverse("console:order", args=[order.pk]), status=303)
