"""``/api/v1/reports/``: the operational and helpdesk reports as JSON
(docs/metrics.md), actions added to the finance reports' resource.

Usage, top users and the overdue balance by site need
``reports.view_reports`` (admin and billing), as the finance reports; the
helpdesk reports need ``tickets.view_ticket`` and ``tickets.view_team``
(every role that reads the helpdesk): they count tickets, no money. Staff
read their own tenant's figures; the platform operator names one with
``?tenant=<slug>``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.reports import helpdesk, operations, ops_params, ops_tables, params, usage
from ispstack.reports.api.ops_serializers import (
    OverdueBySiteReportSerializer,
    ResolutionReportSerializer,
    SlaReportSerializer,
    TopUsersReportSerializer,
    UsageReportSerializer,
)
from ispstack.reports.api.views import TENANT, VIEW
from ispstack.reports.models import MarketingSpend

HELPDESK_VIEW = ("tickets.view_ticket", "tickets.view_team")
TAG = OpenApiParameter("tag", str, description="Only customers with this tag.")
SITE = OpenApiParameter("site", int, description="Only subscribers served by this site now.")
MONTHS = [
    OpenApiParameter("start", str, description="First month, YYYY-MM (default: 11 months ago)."),
    OpenApiParameter("end", str, description="Last month, YYYY-MM (default: this month)."),
]
BY = OpenApiParameter("by", str, enum=list(helpdesk.GROUPINGS), description="Default: priority.")


class OperationsReportViewSet(TenantViewSet):
    """Actions only, on the ``reports`` resource (see ``core.api.routers``)."""

    queryset = MarketingSpend.objects.none()
    required_perms = {
        "usage": VIEW,
        "top_users": VIEW,
        "overdue_sites": VIEW,
        "ticket_resolution": HELPDESK_VIEW,
        "ticket_sla": HELPDESK_VIEW,
    }

    @extend_schema(
        parameters=[
            *MONTHS,
            OpenApiParameter("plan", int, description="Only days on this plan."),
            SITE,
            TAG,
            TENANT,
        ],
        responses=UsageReportSerializer,
    )
    @action(detail=False, methods=["get"])
    def usage(self, request: Request) -> Response:
        """Usage per plan and month: subscriptions with usage, bytes down and
        up, average and 95th percentile per subscription, shares at the cap."""
        tenant = self.read_tenant()
        filters = params.filters_from(tenant, request.query_params)
        site = ops_params.site_param(tenant, request.query_params)
        rows = usage.usage_by_plan(tenant, filters, site_id=site)
        body = {
            "rows": [
                {
                    **vars(r),
                    "total_bytes": r.total_bytes,
                    "reached_80_percent": r.reached_80_percent,
                    "reached_100_percent": r.reached_100_percent,
                }
                for r in rows
            ]
        }
        return Response(UsageReportSerializer(body).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", str, description="First day, YYYY-MM-DD (default: 29 days ago)."
            ),
            OpenApiParameter("end", str, description="Last day, YYYY-MM-DD (default: today)."),
            OpenApiParameter("limit", int, description="How many, 1-500 (default 50)."),
            OpenApiParameter("plan", int, description="Only subscriptions on this plan."),
            SITE,
            TAG,
            TENANT,
        ],
        responses=TopUsersReportSerializer,
    )
    @action(detail=False, methods=["get"], url_path="top-users")
    def top_users(self, request: Request) -> Response:
        """The subscriptions that moved the most bytes over a range of days."""
        tenant = self.read_tenant()
        days = ops_params.day_range(tenant, request.query_params)
        rows = ops_tables.top_users_for(tenant, request.query_params)
        body = {
            "start": days.start,
            "end": days.end,
            "rows": [
                {
                    **vars(r),
                    "rank": rank,
                    "total_bytes": r.total_bytes,
                    "cap_percent": r.cap_percent,
                }
                for rank, r in enumerate(rows, start=1)
            ],
        }
        return Response(TopUsersReportSerializer(body).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", str, description="Day, YYYY-MM-DD (default: today)."),
            OpenApiParameter(
                "by",
                str,
                enum=list(operations.OVERDUE_GROUPINGS),
                description="Group by site (default) or sector.",
            ),
            TAG,
            TENANT,
        ],
        responses=OverdueBySiteReportSerializer,
    )
    @action(detail=False, methods=["get"], url_path="overdue-sites")
    def overdue_sites(self, request: Request) -> Response:
        """The overdue balance on a day per site serving the subscribers, in
        the aging's buckets of days past due, the largest first."""
        tenant = self.read_tenant()
        as_of = params.aging_day(tenant, request.query_params)
        rows = operations.overdue_by_site(
            tenant,
            as_of=as_of,
            tag=params.tag_param(request.query_params),
            by=operations.overdue_grouping(request.query_params.get("by")),
        )
        body = {
            "currency": tenant.currency,
            "as_of": as_of,
            "rows": [
                {
                    **vars(r),
                    "buckets": [{"bucket": k, "amount": v} for k, v in r.buckets.items()],
                    "total": r.total,
                }
                for r in rows
            ],
        }
        return Response(OverdueBySiteReportSerializer(body).data)

    @extend_schema(parameters=[*MONTHS, BY, TAG, TENANT], responses=ResolutionReportSerializer)
    @action(detail=False, methods=["get"], url_path="ticket-resolution")
    def ticket_resolution(self, request: Request) -> Response:
        """Tickets resolved per month and priority or team, with the median and
        90th percentile of their resolution times."""
        tenant = self.read_tenant()
        by = helpdesk.grouping(request.query_params.get("by"))
        filters = ops_params.month_filters(tenant, request.query_params)
        rows = helpdesk.resolution_times(tenant, filters, by=by)
        return Response(ResolutionReportSerializer({"by": by, "rows": map(vars, rows)}).data)

    @extend_schema(parameters=[*MONTHS, BY, TAG, TENANT], responses=SlaReportSerializer)
    @action(detail=False, methods=["get"], url_path="ticket-sla")
    def ticket_sla(self, request: Request) -> Response:
        """SLA compliance per month and priority or team: first responses and
        resolutions within their targets."""
        tenant = self.read_tenant()
        by = helpdesk.grouping(request.query_params.get("by"))
        filters = ops_params.month_filters(tenant, request.query_params)
        rows = [
            {
                **vars(r),
                "first_response_percent": r.first_response_percent,
                "resolution_percent": r.resolution_percent,
            }
            for r in helpdesk.sla_compliance(tenant, filters, by=by)
        ]
        return Response(SlaReportSerializer({"by": by, "rows": rows}).data)
