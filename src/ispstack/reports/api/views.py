"""``/api/v1/reports/``: the finance reports as JSON (docs/metrics.md).

Reading needs ``reports.view_reports`` (admin and billing, ``core.roles``).
``/api/v1/report-schedules/``: the reports emailed on a schedule; reading
them needs ``reports.view_reports`` too, writing (and ``POST .../{id}/send/``,
send now) the add, change and delete permissions of
``reports.reportschedule`` (admin and billing).
Staff read their own tenant's figures; the platform operator, who works in
no tenant, names one with ``?tenant=<slug>``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.reports import params, selectors, services
from ispstack.reports.api.serializers import (
    AgingReportSerializer,
    MrrReportSerializer,
    PlanReportSerializer,
    ReportDeliverySerializer,
    ReportScheduleInputSerializer,
    ReportScheduleSerializer,
)
from ispstack.reports.models import MarketingSpend, ReportSchedule

VIEW = ("reports.view_reports",)
TENANT = OpenApiParameter("tenant", str, description="Platform operator only: the tenant's slug.")
#: An MRR month's fields, as the JSON gives them.
MONTH_FIELDS = tuple(field.name for field in dataclasses.fields(selectors.MrrMonth))
MONTHLY = [
    OpenApiParameter("start", str, description="First month, YYYY-MM (default: 11 months ago)."),
    OpenApiParameter("end", str, description="Last month, YYYY-MM (default: this month)."),
    OpenApiParameter("plan", int, description="Only subscriptions on this plan that month."),
    OpenApiParameter("tag", str, description="Only customers with this tag."),
    TENANT,
]


class ReportViewSet(TenantViewSet):
    """The reports; each action computes one from the query's filters."""

    # Not read: the reports aggregate many tables. A queryset of the app keeps
    # the generic machinery (schema, tenancy checks) working.
    queryset = MarketingSpend.objects.none()
    required_perms = {"mrr": VIEW, "plans": VIEW, "aging": VIEW}

    @extend_schema(parameters=MONTHLY, responses=MrrReportSerializer)
    @action(detail=False, methods=["get"])
    def mrr(self, request: Request) -> Response:
        """MRR and its movements per month with churn rates, ARR, ARPU, and the
        range's CLTV and CAC."""
        tenant = self.read_tenant()
        filters = params.filters_from(tenant, request.query_params)
        months = selectors.mrr_movements(tenant, filters)
        summary = selectors.summary(tenant, filters, months)
        body: dict[str, Any] = {
            "currency": tenant.currency,
            "months": [
                {
                    **{f: getattr(m, f) for f in MONTH_FIELDS},
                    "arr": m.arr,
                    "arpu": m.arpu,
                    "logo_churn_rate": m.logo_churn_rate,
                    "revenue_churn_rate": m.revenue_churn_rate,
                    "net_revenue_churn_rate": m.net_revenue_churn_rate,
                }
                for m in months
            ],
            "summary": vars(summary),
        }
        return Response(MrrReportSerializer(body).data)

    @extend_schema(parameters=MONTHLY, responses=PlanReportSerializer)
    @action(detail=False, methods=["get"])
    def plans(self, request: Request) -> Response:
        """Subscriptions in service and their MRR per plan at each month's end."""
        tenant = self.read_tenant()
        rows = selectors.growth_by_plan(tenant, params.filters_from(tenant, request.query_params))
        body = {"currency": tenant.currency, "rows": [vars(r) for r in rows]}
        return Response(PlanReportSerializer(body).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", str, description="Day, YYYY-MM-DD (default: today)."),
            OpenApiParameter("tag", str, description="Only customers with this tag."),
            TENANT,
        ],
        responses=AgingReportSerializer,
    )
    @action(detail=False, methods=["get"])
    def aging(self, request: Request) -> Response:
        """Overdue receivables on a day in buckets of days past the due date."""
        tenant = self.read_tenant()
        as_of = params.aging_day(tenant, request.query_params)
        buckets = selectors.aging(tenant, as_of=as_of, tag=params.tag_param(request.query_params))
        body = {
            "currency": tenant.currency,
            "as_of": as_of,
            "buckets": [{**vars(b), "bucket": b.label} for b in buckets],
        }
        return Response(AgingReportSerializer(body).data)


class ReportScheduleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    """Reports emailed as XLSX files daily, weekly or monthly (``reports.services``)."""

    queryset = ReportSchedule.objects.all()
    serializer_class = ReportScheduleSerializer
    required_perms = {
        "list": VIEW,
        "retrieve": VIEW,
        "create": (*VIEW, "reports.add_reportschedule"),
        "partial_update": (*VIEW, "reports.change_reportschedule"),
        "destroy": (*VIEW, "reports.delete_reportschedule"),
        "send": (*VIEW, "reports.change_reportschedule"),
    }
    filterset_fields = ["report", "is_active"]

    @extend_schema(request=ReportScheduleInputSerializer, responses={201: ReportScheduleSerializer})
    def create(self, request: Request) -> Response:
        schedule = services.create_schedule(
            tenant=self.tenant, actor=request.user, **self.validated(ReportScheduleInputSerializer)
        )
        return Response(ReportScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportScheduleInputSerializer, responses=ReportScheduleSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        schedule = services.update_schedule(
            schedule=self.get_object(),
            actor=request.user,
            **self.validated(ReportScheduleInputSerializer, partial=True),
        )
        return Response(ReportScheduleSerializer(schedule).data)

    @extend_schema(request=None, responses={201: ReportDeliverySerializer})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: Any = None) -> Response:
        """Send the report now, for the period it would cover today, to its
        recipients (one outbox mail each); the next scheduled run stays."""
        delivery = services.send_now(schedule=self.get_object(), actor=request.user)
        return Response(ReportDeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ReportSchedule) -> None:
        services.delete_schedule(schedule=instance, actor=self.request.user)
