"""Finance reports in the console (menu "Reports"): MRR and its movements with
churn, ARPU, CLTV and CAC; subscriptions by plan; aging of overdue invoices.
Each page has its filters, a chart drawn as SVG on the server, the table
under it and CSV / XLSX downloads of that table (``?format=csv|xlsx``).

Reading needs ``reports.view_reports`` (admin and billing, ``core.roles``),
as the API's ``ReportViewSet``. The figures are those of the user's tenant;
the platform operator, who works in none, gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ispstack.catalog.models import Plan
from ispstack.console.access import StaffView
from ispstack.core.errors import ServiceError
from ispstack.reports import charts, exports, params, selectors, tables

VIEW = ("reports.view_reports",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportView(StaffView):
    """One report page; subclasses compute ``report`` (a table, a chart and
    extra context) from the query string."""

    required_perms = VIEW
    title = ""
    slug = ""
    template = "console/reports/report.html"

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant = self.require_tenant()
        context: dict[str, Any] = {
            "title": self.title,
            "slug": self.slug,
            "query": request.GET,
            "currency": tenant.currency,
            "plans": Plan.objects.filter(tenant=tenant).order_by("name"),
        }
        try:
            context.update(self.report(tenant, request.GET))
        except ServiceError as error:
            context["error"] = error
            return render(request, self.template, context, status=400)
        kind = request.GET.get("format", "")
        table: tables.Table = context["table"]
        filename = f"{self.slug}-{tenant.slug}"
        if kind == "csv":
            response = HttpResponse(exports.to_csv(table), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
            return response
        if kind == "xlsx":
            response = HttpResponse(exports.to_xlsx(table, self.slug), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
            return response
        return render(request, self.template, context)


class MrrReportView(ReportView):
    """``/staff/reports/``: MRR, its movements and churn per month."""

    slug = "mrr"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("MRR and churn")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        filters = params.filters_from(tenant, query)
        months = selectors.mrr_movements(tenant, filters)
        return {
            "filters": filters,
            "table": tables.mrr_table(months, tenant.currency),
            "summary": selectors.summary(tenant, filters, months),
            "chart": charts.bar_chart([(m.month.strftime("%Y-%m"), m.closing) for m in months]),
            "chart_title": _("Closing MRR by month"),
            "monthly": True,
        }


class PlanReportView(ReportView):
    """``/staff/reports/plans/``: subscriptions in service per plan and month."""

    slug = "plans"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Subscribers by plan")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        filters = params.filters_from(tenant, query)
        rows = selectors.growth_by_plan(tenant, filters)
        # Every month of the range has its bar, zero where none was in service.
        totals = {
            month.strftime("%Y-%m"): 0
            for month in selectors.months_between(filters.start, filters.end)
        }
        for row in rows:
            totals[row.month.strftime("%Y-%m")] += row.subscriptions
        return {
            "filters": filters,
            "table": tables.plan_table(rows, tenant.currency),
            "chart": charts.bar_chart([(k, v) for k, v in totals.items()]),  # type: ignore[misc]
            "chart_title": _("Subscriptions in service by month"),
            "monthly": True,
        }


class AgingReportView(ReportView):
    """``/staff/reports/aging/``: overdue receivables by days past due on a day."""

    slug = "aging"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Aging of overdue invoices")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        as_of = params.aging_day(tenant, query)
        buckets = selectors.aging(tenant, as_of=as_of, tag=params.tag_param(query))
        return {
            "as_of": as_of,
            "table": tables.aging_table(buckets, tenant.currency),
            "chart": charts.bar_chart([(b.label, b.amount) for b in buckets]),
            "chart_title": _("Open amount by days past due"),
            "monthly": False,
        }
