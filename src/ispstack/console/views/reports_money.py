"""The money reports in the console (menu "Reports"): payment success and
failure, dunning effectiveness, revenue by service type, the payment method
mix, and credit notes and refunds (``reports.money``, docs/metrics.md). Each
page is a ``reports.ReportView``: its filters, a chart drawn as SVG on the
server, the table under it and CSV / XLSX downloads (``?format=csv|xlsx``);
reading needs ``reports.view_reports``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ispstack.console.views.reports import ReportView
from ispstack.reports import charts, money, money_tables, revenue
from ispstack.reports.selectors import Filters, months_between


def _monthly_bars(
    filters: Filters, rows: Iterable[Any], value: Callable[[Any], Decimal | None]
) -> charts.BarChart:
    """A bar for every month of the range: the sum of ``value`` over its rows
    (values below zero or None draw no bar)."""
    totals: dict[dt.date, Decimal] = {
        m: Decimal(0) for m in months_between(filters.start, filters.end)
    }
    for row in rows:
        totals[row.month] += value(row) or Decimal(0)
    return charts.bar_chart([(m.strftime("%Y-%m"), v) for m, v in totals.items()])


class MoneyReportView(ReportView):
    """A money report page: the plan filter only where the report reads
    subscriptions (``with_plan``)."""

    with_plan = False

    def page(self, filters: Filters, rows: list[Any], currency: str) -> dict[str, Any]:
        raise NotImplementedError

    def compute(self, tenant: Any, filters: Filters) -> list[Any]:
        raise NotImplementedError

    def report(self, tenant: Any, query: Any) -> dict[str, Any]:
        filters = money_tables.filters(tenant, query, plan=self.with_plan)
        rows = self.compute(tenant, filters)
        return {
            "filters": filters,
            "monthly": True,
            "without_plan": not self.with_plan,
            **self.page(filters, rows, tenant.currency),
        }


class PaymentSuccessReportView(MoneyReportView):
    """``/staff/reports/payment-success/``: card, direct-debit and transfer
    attempts succeeded, failed and pending per month."""

    slug = "payment-success"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Payment success and failure")

    def compute(self, tenant: Any, filters: Filters) -> list[Any]:
        return money.payment_outcomes(tenant, filters)

    def page(self, filters: Filters, rows: list[Any], currency: str) -> dict[str, Any]:
        by_month: dict[dt.date, list[int]] = {}
        for row in rows:
            counts = by_month.setdefault(row.month, [0, 0])
            counts[0] += row.succeeded
            counts[1] += row.failed
        chart = charts.bar_chart(
            [
                (m.strftime("%Y-%m"), money.rate_percent(ok, ok + failed) or Decimal(0))
                for m, (ok, failed) in by_month.items()
            ]
        )
        return {
            "table": money_tables.payment_success_table(rows, currency),
            "chart": chart,
            "chart_title": _("Success rate of all methods by month (%)"),
        }


class DunningReportView(MoneyReportView):
    """``/staff/reports/dunning-effectiveness/``: accounts reached, recovered, suspended and
    reconnected per month, campaign and step."""

    slug = "dunning-effectiveness"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Dunning effectiveness")

    def compute(self, tenant: Any, filters: Filters) -> list[Any]:
        return money.dunning_effectiveness(tenant, filters)

    def page(self, filters: Filters, rows: list[Any], currency: str) -> dict[str, Any]:
        return {
            "table": money_tables.dunning_effectiveness_table(rows, currency),
            "chart": _monthly_bars(filters, rows, lambda r: r.recovered_amount),
            "chart_title": _("Amount recovered by dunning by month"),
        }


class RevenueReportView(MoneyReportView):
    """``/staff/reports/revenue-by-service/``: net revenue per month, kind of
    line and service type."""

    slug = "revenue-by-service"
    with_plan = True

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Revenue by service type")

    def compute(self, tenant: Any, filters: Filters) -> list[Any]:
        return revenue.revenue_by_service(tenant, filters)

    def page(self, filters: Filters, rows: list[Any], currency: str) -> dict[str, Any]:
        return {
            "table": money_tables.revenue_by_service_table(rows, currency),
            "chart": _monthly_bars(filters, rows, lambda r: r.net),
            "chart_title": _("Net revenue by month"),
        }


class PaymentMethodsReportView(MoneyReportView):
    """``/staff/reports/payment-methods/``: payments and amounts per month and method."""

    slug = "payment-methods"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Payment method mix")

    def compute(self, tenant: Any, filters: Filters) -> list[Any]:
        return money.payment_method_mix(tenant, filters)

    def page(self, filters: Filters, rows: list[Any], currency: str) -> dict[str, Any]:
        return {
            "table": money_tables.payment_methods_table(rows, currency),
            "chart": _monthly_bars(filters, rows, lambda r: r.amount),
            "chart_title": _("Payments received by month"),
        }


class CreditsReportView(MoneyReportView):
    """``/staff/reports/credit-notes-refunds/``: credit notes and refunds per month and reason."""

    slug = "credit-notes-refunds"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Credit notes and refunds")

    def compute(self, tenant: Any, filters: Filters) -> list[Any]:
        return money.credit_notes_and_refunds(tenant, filters)

    def page(self, filters: Filters, rows: list[Any], currency: str) -> dict[str, Any]:
        return {
            "table": money_tables.credit_notes_refunds_table(rows, currency),
            "chart": _monthly_bars(filters, rows, lambda r: r.total),
            "chart_title": _("Credit notes and refunds by month (total)"),
        }
