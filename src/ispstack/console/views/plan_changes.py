"""Customers' plan change requests from the portal, in the console (menu
"Customers"): the queue filtered by state, a request's page, and the
approve and reject actions (``portal.plan_changes.services``).

Reading needs ``portal.view_planchangerequest`` (admin, billing, support);
deciding also ``portal.decide_planchangerequest`` (admin, billing: an
approval changes what the customer is billed), as the staff API's
``PlanChangeRequestViewSet`` (``core.roles``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.core.errors import ServiceError
from ispstack.core.models import AuditLog
from ispstack.portal.models import PlanChangeRequest, PlanChangeState
from ispstack.portal.plan_changes import selectors, services

VIEW = ("portal.view_planchangerequest",)
DECIDE = ("portal.view_planchangerequest", "portal.decide_planchangerequest")


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to the customer)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
    )


class PlanChangeListView(StaffView):
    """``/staff/plan-changes/?state=``: the tenant's requests, oldest first."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        state = request.GET.get("state", "")
        rows = selectors.queue(tenant, state)
        return render(
            request,
            "console/plan_changes/list.html",
            {
                "title": _("Plan change requests"),
                "rows": list(rows[: selectors.QUEUE_SIZE]),
                "states": PlanChangeState.choices,
                "state": state if state in PlanChangeState.values else "",
            },
        )


def _detail(
    view: StaffView, plan_request: PlanChangeRequest, form: RejectForm, status: int = 200
) -> HttpResponse:
    timeline = AuditLog.objects.filter(
        tenant=plan_request.tenant_id,
        object_type="portal.planchangerequest",
        object_id=str(plan_request.pk),
    ).order_by("created_at", "id")
    return render(
        view.request,
        "console/plan_changes/detail.html",
        {
            "title": _("Plan change request %(id)s") % {"id": plan_request.pk},
            "req": plan_request,
            "form": form,
            "timeline": list(timeline),
        },
        status=status,
    )


class PlanChangeView(StaffView):
    """``/staff/plan-changes/<id>/``: the request, its history and, while
    submitted, the approve and reject forms."""

    required_perms = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan_request = self.get_scoped(selectors.queue(self.require_tenant()), pk=pk)
        return _detail(self, plan_request, RejectForm())


class PlanChangeApproveView(StaffView):
    """``POST /staff/plan-changes/<id>/approve/``: approve (scheduled for its
    effective date, or applied now for a ``now`` request)."""

    required_perms = DECIDE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan_request = self.get_scoped(selectors.queue(self.require_tenant()), pk=pk)
        try:
            done = services.approve_request(request=plan_request, actor=request.user)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Approved: %(sub)s moves to %(plan)s on %(day)s.")
                % {
                    "sub": done.subscription.username,
                    "plan": done.to_plan.name,
                    "day": done.effective_date.isoformat(),
                },
            )
        return redirect("console:plan-change", pk=plan_request.pk)


class PlanChangeRejectView(StaffView):
    """``POST /staff/plan-changes/<id>/reject/`` with ``reason`` (required):
    reject; without a reason the page shows the field's error (400) and
    nothing changes."""

    required_perms = DECIDE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan_request = self.get_scoped(selectors.queue(self.require_tenant()), pk=pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            return _detail(self, plan_request, form, status=400)
        try:
            services.reject_request(
                request=plan_request, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return _detail(self, plan_request, form, status=exc.status_code)
        messages.success(request, _("Rejected; the customer is told why."))
        return redirect("console:plan-change", pk=plan_request.pk)
