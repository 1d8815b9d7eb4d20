"""API of the sales app: quotes (drafts edited, lines added and removed,
sent and sent again, revised, declined for the customer or accepted on a
paper signature) and their PDF."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet, pdf_response
from ispstack.core.errors import NotFound
from ispstack.sales import acceptance, services
from ispstack.sales.api.serializers import (
    DeclineSerializer,
    LineInputSerializer,
    PaperAcceptanceSerializer,
    QuoteInputSerializer,
    QuoteLineSerializer,
    QuoteSerializer,
    RemoveLineSerializer,
    ResendSerializer,
    ReviseSerializer,
    SendSerializer,
)
from ispstack.sales.documents import quote_pdf
from ispstack.sales.models import Quote, QuoteLine
from ispstack.sales.permissions import QUOTE_PERMS


class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Quotes: each version a row; drafts change, sent ones are revised."""

    queryset = Quote.objects.select_related("tenant").prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.order_by("position", "id"))
    )
    serializer_class = QuoteSerializer
    required_perms = QUOTE_PERMS
    filterset_fields = ["status", "customer", "lead", "number"]

    def get_queryset(self) -> QuerySet[Quote]:
        return super().get_queryset().order_by("-id")

    def _answer(self, quote: Quote, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=quote.pk)
        return Response(QuoteSerializer(fresh).data, status=code)

    @extend_schema(request=QuoteInputSerializer, responses={201: QuoteSerializer})
    def create(self, request: Request) -> Response:
        quote = services.create_quote(
            tenant=self.tenant, actor=request.user, **self.validated(QuoteInputSerializer)
        )
        return self._answer(quote, status.HTTP_201_CREATED)

    @extend_schema(request=QuoteInputSerializer, responses=QuoteSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        quote = services.update_quote(
            quote=self.get_object(),
            actor=request.user,
            **self.validated(QuoteInputSerializer, partial=True),
        )
        return self._answer(quote)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.delete_quote(quote=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=LineInputSerializer, responses={201: QuoteLineSerializer})
    @action(detail=True, methods=["post"])
    def lines(self, request: Request, pk: Any = None) -> Response:
        line = services.add_line(
            quote=self.get_object(), actor=request.user, **self.validated(LineInputSerializer)
        )
        return Response(QuoteLineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RemoveLineSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"], url_path="remove-line")
    def remove_line(self, request: Request, pk: Any = None) -> Response:
        quote = self.get_object()
        line_id = self.validated(RemoveLineSerializer)["line"]
        line = QuoteLine.objects.filter(quote=quote, pk=line_id).first()
        if line is None:
            raise NotFound("no such line on this quote", field="line")
        return self._answer(services.remove_line(line=line, actor=request.user))

    @extend_schema(request=SendSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: Any = None) -> Response:
        self.validated(SendSerializer)
        quote = services.send_quote(
            quote=self.get_object(),
            actor=request.user,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        return self._answer(quote)

    @extend_schema(request=ReviseSerializer, responses={201: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: Any = None) -> Response:
        self.validated(ReviseSerializer)
        quote = services.revise_quote(quote=self.get_object(), actor=request.user)
        return self._answer(quote, status.HTTP_201_CREATED)

    @extend_schema(request=DeclineSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: Any = None) -> Response:
        quote = acceptance.decline_quote(
            quote=self.get_object(), actor=request.user, **self.validated(DeclineSerializer)
        )
        return self._answer(quote)

    @extend_schema(request=ResendSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: Any = None) -> Response:
        self.validated(ResendSerializer)
        quote = services.resend_quote(
            quote=self.get_object(),
            actor=request.user,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        return self._answer(quote)

    @extend_schema(request=PaperAcceptanceSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"], url_path="accept-on-paper")
    def accept_on_paper(self, request: Request, pk: Any = None) -> Response:
        quote = acceptance.record_paper_acceptance(
            quote=self.get_object(),
            actor=request.user,
            **self.validated(PaperAcceptanceSerializer),
        )
        return self._answer(quote)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        quote = self.get_object()
        return pdf_response(quote_pdf(quote), f"{quote.number}-v{quote.version}.pdf")
