"""The money reports as JSON (``reports.money``, docs/metrics.md), on the
same ``/api/v1/reports/`` resource as ``views.ReportViewSet``:
``payment-success/``, ``dunning-effectiveness/``, ``revenue-by-service/``,
``payment-methods/`` and ``credit-notes-refunds/``.

Reading needs ``reports.view_reports``; the platform operator names the
tenant with ``?tenant=<slug>``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.reports import money, money_tables, revenue
from ispstack.reports.api import money_serializers as out
from ispstack.reports.api.views import MONTHLY, TENANT, VIEW
from ispstack.reports.models import MarketingSpend

RANGE = [p for p in MONTHLY if p.name in ("start", "end", "tag")] + [TENANT]


class MoneyReportViewSet(TenantViewSet):
    """The money reports; each action computes one from the query's filters."""

    # Not read: as ReportViewSet, a queryset of the app for the generic machinery.
    queryset = MarketingSpend.objects.none()
    required_perms = {
        "payment_success": VIEW,
        "dunning_effectiveness": VIEW,
        "revenue_by_service": VIEW,
        "payment_methods": VIEW,
        "credit_notes_refunds": VIEW,
    }

    def _rows(self, compute: Any) -> tuple[Any, list[dict[str, Any]]]:
        tenant = self.read_tenant()
        filters = money_tables.filters(tenant, self.request.query_params)
        return tenant, [asdict(row) for row in compute(tenant, filters)]

    @extend_schema(parameters=RANGE, responses=out.PaymentSuccessReportSerializer)
    @action(detail=False, methods=["get"], url_path="payment-success")
    def payment_success(self, request: Request) -> Response:
        """Card, direct-debit and bank-transfer attempts succeeded, failed and
        pending per month and method, with the success rate."""
        tenant = self.read_tenant()
        filters = money_tables.filters(tenant, request.query_params)
        rows = [
            {**asdict(row), "success_rate": row.success_rate}
            for row in money.payment_outcomes(tenant, filters)
        ]
        body = {"currency": tenant.currency, "rows": rows}
        return Response(out.PaymentSuccessReportSerializer(body).data)

    @extend_schema(parameters=RANGE, responses=out.DunningReportSerializer)
    @action(detail=False, methods=["get"], url_path="dunning-effectiveness")
    def dunning_effectiveness(self, request: Request) -> Response:
        """Accounts reached, recovered (and the amount), suspended and
        reconnected per month, dunning campaign and step."""
        tenant, rows = self._rows(money.dunning_effectiveness)
        return Response(
            out.DunningReportSerializer({"currency": tenant.currency, "rows": rows}).data
        )

    @extend_schema(parameters=MONTHLY, responses=out.RevenueReportSerializer)
    @action(detail=False, methods=["get"], url_path="revenue-by-service")
    def revenue_by_service(self, request: Request) -> Response:
        """Net revenue (excluding tax, less credit notes) per month, kind of
        line and service type."""
        tenant = self.read_tenant()
        filters = money_tables.filters(tenant, request.query_params, plan=True)
        rows = [
            {**asdict(row), "net": row.net} for row in revenue.revenue_by_service(tenant, filters)
        ]
        return Response(
            out.RevenueReportSerializer({"currency": tenant.currency, "rows": rows}).data
        )

    @extend_schema(parameters=RANGE, responses=out.PaymentMethodsReportSerializer)
    @action(detail=False, methods=["get"], url_path="payment-methods")
    def payment_methods(self, request: Request) -> Response:
        """Payments recorded per month and method: how many and how much."""
        tenant, rows = self._rows(money.payment_method_mix)
        body = {"currency": tenant.currency, "rows": rows}
        return Response(out.PaymentMethodsReportSerializer(body).data)

    @extend_schema(parameters=RANGE, responses=out.CreditsReportSerializer)
    @action(detail=False, methods=["get"], url_path="credit-notes-refunds")
    def credit_notes_refunds(self, request: Request) -> Response:
        """Credit notes and refunds per month, kind and reason."""
        tenant, rows = self._rows(money.credit_notes_and_refunds)
        return Response(
            out.CreditsReportSerializer({"currency": tenant.currency, "rows": rows}).data
        )
