"""``/api/v1/revenue-recognition/``: recognised revenue per month, the
deferred revenue balance on a date, one invoice line's schedule, and the
month close (docs/accounting.md).

Reading needs ``accounting.view_revenuescheduleentry``; closing a month also
``accounting.add_accountingperiod`` (admin and billing, ``core.roles``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.accounting import selectors, services
from ispstack.accounting.api.serializers import (
    AccountingPeriodSerializer,
    CloseMonthInputSerializer,
    DeferredReportSerializer,
    RecognisedMonthSerializer,
    ScheduleEntrySerializer,
)
from ispstack.accounting.models import RevenueScheduleEntry
from ispstack.core import clock
from ispstack.core.api.base import TenantViewSet, date_param
from ispstack.core.errors import InvalidInput
from ispstack.core.models import User

VIEW = ("accounting.view_revenuescheduleentry",)
CLOSE = (*VIEW, "accounting.add_accountingperiod")


class RevenueRecognitionViewSet(TenantViewSet):
    """The revenue schedule's reads and the month close."""

    queryset = RevenueScheduleEntry.objects.none()
    # The reads answer whole lists and objects, not pages; OPTIONS describes
    # the one body the viewset takes, the close's.
    pagination_class = None
    filter_backends: list[type] = []
    serializer_class = CloseMonthInputSerializer

    required_perms = {
        "months": VIEW,
        "deferred_balance": VIEW,
        "schedule": VIEW,
        "close": CLOSE,
    }

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", str, description="A day of the first month (default: 11 months ago)."
            ),
            OpenApiParameter(
                "end", str, description="A day of the last month (default: this month)."
            ),
        ],
        responses=RecognisedMonthSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def months(self, request: Request) -> Response:
        """Revenue recognised per month and currency, by line kind, and the
        deferred revenue at each month's end."""
        tenant = self.read_tenant()
        this = clock.today(tenant).replace(day=1)
        start = date_param(request, "start", clock.add_months(this, -11))
        end = date_param(request, "end", this)
        rows = selectors.months(tenant, start, end)
        return Response(RecognisedMonthSerializer([vars(r) for r in rows], many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, description="The day, YYYY-MM-DD (default: today).")
        ],
        responses=DeferredReportSerializer,
    )
    @action(detail=False, methods=["get"], url_path="deferred-balance")
    def deferred_balance(self, request: Request) -> Response:
        """Invoiced, recognised, deferred and unbilled revenue per currency at the end of a day."""
        tenant = self.read_tenant()
        day = date_param(request, "date", clock.today(tenant))
        balances = selectors.deferred_balance(tenant, day)
        body = {"date": day, "balances": [vars(b) for b in balances]}
        return Response(DeferredReportSerializer(body).data)

    @extend_schema(
        parameters=[OpenApiParameter("line", int, required=True, description="Invoice line id.")],
        responses={
            200: ScheduleEntrySerializer(many=True),
            404: OpenApiResponse(description="No such invoice line in the tenant (field line)."),
        },
    )
    @action(detail=False, methods=["get"])
    def schedule(self, request: Request) -> Response:
        """The schedule rows of one invoice line: its own, its credits' and its void's."""
        line = request.query_params.get("line", "").strip()
        if not line:
            raise InvalidInput("name the invoice line", field="line")
        rows = selectors.line_schedule(self.read_tenant(), line)
        return Response(ScheduleEntrySerializer(rows, many=True).data)

    @extend_schema(request=CloseMonthInputSerializer, responses={201: AccountingPeriodSerializer})
    @action(detail=False, methods=["post"])
    def close(self, request: Request) -> Response:
        """Recognise revenue through the month's end, then close it: its
        schedule never changes again."""
        user = request.user if isinstance(request.user, User) else None
        period = services.close_month(
            tenant=self.tenant, user=user, **self.validated(CloseMonthInputSerializer)
        )
        return Response(AccountingPeriodSerializer(period).data, status=status.HTTP_201_CREATED)
