"""API of the journal: ``GET /api/v1/journal-entries/`` (read-only) and its export.

Filters: ``month`` (``YYYY-MM``, the booking month), ``booked_from`` /
``booked_to`` (booking dates, inclusive), ``source_type``, ``kind``,
``currency``, ``number``. ``export`` returns the file of a month or a range
in the general or Xero layout (``accounting.exports``). Reading needs
``accounting.view_journalentry`` (admin, billing: ``core.roles``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request

from ispstack.accounting.api.journal_serializers import JournalEntrySerializer
from ispstack.accounting.journal import selectors, services
from ispstack.accounting.models import JournalEntry, JournalLine, PostingKind, SourceType
from ispstack.core.api.base import TenantViewSet, date_param
from ispstack.core.errors import InvalidInput

VIEW = ("accounting.view_journalentry",)


class JournalEntryFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(method="in_month", label="Booking month, YYYY-MM")
    booked_from = django_filters.DateFilter(field_name="booking_date", lookup_expr="gte")
    booked_to = django_filters.DateFilter(field_name="booking_date", lookup_expr="lte")
    source_type = django_filters.ChoiceFilter(choices=SourceType.choices)
    kind = django_filters.ChoiceFilter(choices=PostingKind.choices)
    currency = django_filters.CharFilter(max_length=3)
    number = django_filters.CharFilter(max_length=30)

    class Meta:
        model = JournalEntry
        fields: list[str] = []

    def in_month(self, queryset: QuerySet[JournalEntry], name: str, value: str) -> Any:
        period = selectors.month_range(value)
        return queryset.filter(period=period.start)


EXPORT_PARAMETERS = [
    OpenApiParameter("month", str, description="Booking month, YYYY-MM (or start and end)."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First booking date, YYYY-MM-DD."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last booking date, YYYY-MM-DD."),
    OpenApiParameter(
        "layout", str, enum=list(services.LAYOUTS), description="general (default) or xero."
    ),
    OpenApiParameter("currency", str, description="ISO 4217; one currency only."),
    OpenApiParameter("tax_rate", str, description="Xero: the tax rate name of the lines."),
    OpenApiParameter("tenant", str, description="The tenant's slug (platform operator only)."),
]


class JournalEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Journal entries with their lines, newest booking first."""

    queryset = JournalEntry.objects.prefetch_related(
        Prefetch("lines", queryset=JournalLine.objects.select_related("account").order_by("id"))
    )
    serializer_class = JournalEntrySerializer
    filterset_class = JournalEntryFilter
    required_perms = {"list": VIEW, "retrieve": VIEW, "export": VIEW}

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return super().get_queryset().order_by("-booking_date", "-id")

    @extend_schema(
        parameters=EXPORT_PARAMETERS,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The journal of a month or a date range as a CSV file (a ZIP of CSV
        files when a Xero export exceeds Xero's 300 lines per file); posts
        what is due first."""
        tenant = self.read_tenant()
        query = request.query_params
        if query.get("month"):
            period = selectors.month_range(query["month"])
        else:
            if not query.get("start"):
                raise InvalidInput("give month, or start and end", field="month")
            start = date_param(request, "start", dt.date.min)
            period = selectors.date_range(start, date_param(request, "end", start))
        export = services.export_journal(
            tenant=tenant,
            period=period,
            layout=query.get("layout") or "general",
            currency=query.get("currency", ""),
            tax_rate=query.get("tax_rate", ""),
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
