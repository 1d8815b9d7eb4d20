"""Operational and helpdesk reports in the console (menu "Reports"): usage by
plan, top users, overdue balance by site, ticket resolution times and SLA
compliance. Each page has its filters, a chart drawn as SVG on the server,
the table under it and CSV / XLSX downloads of that table
(``?format=csv|xlsx``), as the finance reports (``console.views.reports``).

Usage, top users and the overdue balance need ``reports.view_reports``
(admin and billing, ``core.roles``), as the finance reports: they sum up
every subscriber's traffic and money. The helpdesk reports need
``tickets.view_ticket`` and ``tickets.view_team`` instead: they count
tickets and their times, no money, and every role that reads the helpdesk
(admin, billing, noc, support) reads those tickets one by one already.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ispstack.console.views.reports import ReportView
from ispstack.network.inventory import Site
from ispstack.reports import charts, helpdesk, operations, ops_params, ops_tables, params, usage
from ispstack.reports.selectors import months_between

HELPDESK_VIEW = ("tickets.view_ticket", "tickets.view_team")
#: Bars drawn for the reports ranked by size; the table lists every row.
CHART_BARS = 20


def _month_bars(filters: Any, values: dict[str, Decimal]) -> charts.BarChart:
    """A bar for every month of the range, zero where nothing counted."""
    labels = [m.strftime("%Y-%m") for m in months_between(filters.start, filters.end)]
    return charts.bar_chart([(label, values.get(label, Decimal(0))) for label in labels])


class OpsReportView(ReportView):
    """An operational report page: the ``console/reports/ops_report.html``
    template, with the tenant's sites for the site filter."""

    template = "console/reports/ops_report.html"

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        return {"sites": Site.objects.filter(tenant=tenant).order_by("name")}


class UsageByPlanView(OpsReportView):
    """``/staff/reports/usage/``: usage per plan and month."""

    slug = "usage"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Usage by plan")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        context = super().report(tenant, query)
        filters = params.filters_from(tenant, query)
        rows = usage.usage_by_plan(tenant, filters, site_id=ops_params.site_param(tenant, query))
        totals: dict[str, Decimal] = {}
        for row in rows:
            label = row.month.strftime("%Y-%m")
            totals[label] = totals.get(label, Decimal(0)) + Decimal(row.total_bytes)
        gb = {label: ops_tables.gigabytes(int(v)) or Decimal(0) for label, v in totals.items()}
        context.update(
            filters=filters,
            table=ops_tables.usage_by_plan_table(rows),
            chart=_month_bars(filters, gb),
            chart_title=_("Data moved by month (GB)"),
        )
        return context


class TopUsersView(OpsReportView):
    """``/staff/reports/top-users/``: the subscriptions that moved the most bytes."""

    slug = "top-users"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Top users")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        context = super().report(tenant, query)
        days = ops_params.day_range(tenant, query)
        rows = ops_tables.top_users_for(tenant, query)
        context.update(
            days=days,
            table=ops_tables.top_users_table(rows),
            chart=charts.bar_chart(
                [
                    (str(rank), ops_tables.gigabytes(row.total_bytes) or Decimal(0))
                    for rank, row in enumerate(rows[:CHART_BARS], start=1)
                ]
            ),
            chart_title=_("Data moved by the top users, by rank (GB)"),
        )
        return context


class OverdueBySiteView(OpsReportView):
    """``/staff/reports/overdue-sites/``: the overdue balance per site on a day."""

    slug = "overdue-sites"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Overdue balance by site")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        context = super().report(tenant, query)
        as_of = params.aging_day(tenant, query)
        by = operations.overdue_grouping(query.get("by"))
        rows = operations.overdue_by_site(tenant, as_of=as_of, tag=params.tag_param(query), by=by)
        table = ops_tables.overdue_by_site_table(rows, tenant.currency, by)
        context.update(
            as_of=as_of,
            table=table,
            # The bars are labelled by rank, the places being too long to fit.
            chart=charts.bar_chart(
                [(str(rank), row[-1]) for rank, row in enumerate(table.rows[:CHART_BARS], 1)]
            ),
            chart_title=_("Overdue balance, the largest first"),
            money_note=True,
        )
        return context


class HelpdeskReportView(OpsReportView):
    """A helpdesk report page: months, the grouping and the customer tag."""

    # ReportView's type is its one permission's tuple; these are two.
    required_perms = HELPDESK_VIEW  # type: ignore[assignment]

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        by = helpdesk.grouping(query.get("by"))
        return {
            "filters": ops_params.month_filters(tenant, query),
            "by": by,
        }


class TicketResolutionView(HelpdeskReportView):
    """``/staff/reports/ticket-resolution/``: resolution times per month."""

    slug = "ticket-resolution"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Ticket resolution times")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        context = super().report(tenant, query)
        rows = helpdesk.resolution_times(tenant, context["filters"], by=context["by"])
        counts: dict[str, Decimal] = {}
        for row in rows:
            label = row.month.strftime("%Y-%m")
            counts[label] = counts.get(label, Decimal(0)) + row.resolved
        context.update(
            table=ops_tables.resolution_table(rows, context["by"]),
            chart=_month_bars(context["filters"], counts),
            chart_title=_("Tickets resolved by month"),
        )
        return context


class TicketSlaView(HelpdeskReportView):
    """``/staff/reports/ticket-sla/``: SLA compliance per month."""

    slug = "ticket-sla"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("SLA compliance")

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        context = super().report(tenant, query)
        rows = helpdesk.sla_compliance(tenant, context["filters"], by=context["by"])
        met: dict[str, list[int]] = {}
        for row in rows:
            pair = met.setdefault(row.month.strftime("%Y-%m"), [0, 0])
            pair[0] += row.resolution_met
            pair[1] += row.resolution_measured
        context.update(
            table=ops_tables.sla_table(rows, context["by"]),
            chart=_month_bars(
                context["filters"],
                {
                    label: (Decimal(100) * ok / total).quantize(Decimal("0.01"))
                    for label, (ok, total) in met.items()
                    if total
                },
            ),
            chart_title=_("Tickets resolved on time by month (%)"),
        )
        return context
