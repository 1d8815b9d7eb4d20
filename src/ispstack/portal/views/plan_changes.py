"""Plan change requests in the portal: the form listing the plans a service
may move to (price difference and effective date shown before submitting),
the submission, and cancelling a request that waits for a decision."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from ispstack.core.errors import ServiceError
from ispstack.portal import selectors
from ispstack.portal.models import PlanChangeTiming
from ispstack.portal.plan_changes import selectors as plan_selectors
from ispstack.portal.plan_changes import services
from ispstack.portal.views.base import PortalView
from ispstack.subscriptions.models import Subscription, SubscriptionStatus


class ChangePlanView(PortalView):
    """``/my/<tenant>/services/<id>/change-plan/``: GET the form (the plans
    with their monthly price difference, the effective date of each timing,
    the service's open request with its state); POST ``plan`` (an id) and
    ``timing`` submits a request. Bad input re-renders the form with the
    field's error (400; 409 when a request is open already), writing
    nothing. Another customer's service answers 404."""

    nav = "dashboard"

    def _subscription(self, pk: int) -> Subscription:
        sub: Subscription = get_object_or_404(selectors.subscriptions_of(self.customer), pk=pk)
        return sub

    def _form(
        self, sub: Subscription, *, error: ServiceError | None = None, values: Any = None
    ) -> HttpResponse:
        timings = plan_selectors.timings_for(self.tenant)
        options = [
            {
                "option": option,
                "difference": plan_selectors.signed_money(
                    option.difference, self.tenant, option.currency
                ),
            }
            for option in plan_selectors.plan_options(sub)
        ]
        choices = [
            {
                "value": value,
                "label": PlanChangeTiming(value).label,
                "date": plan_selectors.effective_date(sub, value),
            }
            for value in timings
        ]
        requests = plan_selectors.history(self.customer, sub)
        context = {
            "sub": sub,
            "options": options,
            "timings": choices,
            "open_request": plan_selectors.open_of(requests),
            "requests": requests,
            "can_change": sub.status != SubscriptionStatus.TERMINATED,
            "error": error,
            "values": values or {"timing": PlanChangeTiming.NEXT_CYCLE},
        }
        status = error.status_code if error is not None else 200
        return self.page("portal/change_plan.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._form(self._subscription(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sub = self._subscription(pk)
        values = {
            "plan": request.POST.get("plan", ""),
            "timing": request.POST.get("timing") or PlanChangeTiming.NEXT_CYCLE,
        }
        try:
            services.submit_request(
                user=self.user, subscription=sub, plan=values["plan"], timing=values["timing"]
            )
        except ServiceError as exc:
            return self._form(sub, error=exc, values=values)
        return redirect("portal:change-plan", tenant=self.tenant.slug, pk=sub.pk)


class CancelPlanChangeView(PortalView):
    """``POST /my/<tenant>/plan-changes/<id>/cancel/``: withdraw a submitted
    request, back to its service's form. Another customer's request answers
    404; a decided one shows the error."""

    nav = "dashboard"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan_request = plan_selectors.requests_of(self.customer).filter(pk=pk).first()
        if plan_request is None:
            raise Http404("No such request.")
        try:
            services.cancel_request(user=self.user, request=plan_request)
        except ServiceError as exc:
            return self.page("portal/error.html", {"error": exc}, status=exc.status_code)
        return redirect(
            "portal:change-plan", tenant=self.tenant.slug, pk=plan_request.subscription_id
        )
