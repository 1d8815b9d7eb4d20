"""Revenue recognition in the console (menu "Finance"): revenue recognised
per month with the deferred balance at each month's end, one invoice
line's schedule, and closing a month after a confirmation.

Reading needs ``accounting.view_revenuescheduleentry``, closing also
``accounting.add_accountingperiod`` (admin and billing, ``core.roles``), as
the API's ``RevenueRecognitionViewSet``. The platform operator, who works
in no tenant, gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ispstack.accounting import periods, selectors, services
from ispstack.console.access import StaffView
from ispstack.core import clock, inputs
from ispstack.core.errors import ServiceError
from ispstack.core.models import User

VIEW = ("accounting.view_revenuescheduleentry",)
CLOSE = (*VIEW, "accounting.add_accountingperiod")
TEMPLATE = "console/accounting/revenue.html"


class RevenueRecognitionView(StaffView):
    """``/staff/finance/revenue/``: the last twelve months, the deferred
    balance today, ``?line=<id>`` a line's schedule, ``?close=YYYY-MM-01``
    the confirmation of a close."""

    required_perms = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        context: dict[str, Any] = {
            "title": _("Revenue recognition"),
            "months": list(reversed(selectors.recent_months(tenant))),
            "today": clock.today(tenant),
            "balances": selectors.deferred_balance(tenant, clock.today(tenant)),
            "next_close": self.next_close(tenant),
            "may_close": request.user.has_perms(CLOSE),
            "query": request.GET,
        }
        status = 200
        line = request.GET.get("line", "").strip()
        try:
            if line:
                context["schedule"] = selectors.line_schedule(tenant, line)
            if request.GET.get("close") and context["may_close"]:
                context["confirm"] = inputs.day(request.GET["close"], "month")
        except ServiceError as error:
            context["error"] = error
            status = error.status_code
        return render(request, TEMPLATE, context, status=status)

    @staticmethod
    def next_close(tenant: Any) -> Any:
        """The month to close next (months close in order), if it has ended."""
        last = periods.last_closed_month(tenant)
        this = clock.today(tenant).replace(day=1)
        candidate = clock.add_months(last, 1) if last else clock.add_months(this, -1)
        return candidate if candidate < this else None


class CloseMonthView(StaffView):
    """``POST /staff/finance/revenue/close/``: close the month (``month``) after
    the page's confirmation (``accounting.services.close_month``)."""

    required_perms = CLOSE

    def post(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        url = reverse("console:revenue-recognition")
        try:
            user = request.user if isinstance(request.user, User) else None
            period = services.close_month(
                tenant=tenant, month=request.POST.get("month", ""), user=user
            )
        except ServiceError as error:
            messages.error(request, f"{error.field}: {error}" if error.field else str(error))
        else:
            messages.success(
                request, _("%(month)s is closed.") % {"month": period.month.strftime("%Y-%m")}
            )
        return redirect(url)
