"""API of vouchers: plans and agents (kept by admin and billing), batches
(generated, sold, their cards as PDF) and vouchers (read, filtered)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet, pdf_response
from ispstack.hotspot.models import Voucher, VoucherAgent, VoucherBatch, VoucherPlan
from ispstack.hotspot.vouchers import cards, selectors, services
from ispstack.hotspot.vouchers.api.serializers import (
    GenerateInputSerializer,
    SellInputSerializer,
    SoldSerializer,
    VoucherAgentInputSerializer,
    VoucherAgentSerializer,
    VoucherBatchSerializer,
    VoucherPlanInputSerializer,
    VoucherPlanSerializer,
    VoucherSerializer,
)


def _perms(model: str, *actions: str) -> tuple[str, ...]:
    return tuple(f"hotspot.{a}_{model}" for a in actions)


class VoucherPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Voucher plans: validity, online time, data, speed, devices, price."""

    queryset = VoucherPlan.objects.select_related("tax_rate")
    serializer_class = VoucherPlanSerializer
    required_perms = {
        "list": _perms("voucherplan", "view"),
        "retrieve": _perms("voucherplan", "view"),
        "create": _perms("voucherplan", "add", "view"),
        "partial_update": _perms("voucherplan", "change", "view"),
    }
    filterset_fields = ["code", "is_active"]

    def get_queryset(self) -> QuerySet[VoucherPlan]:
        return super().get_queryset().order_by("id")

    @extend_schema(request=VoucherPlanInputSerializer, responses={201: VoucherPlanSerializer})
    def create(self, request: Request) -> Response:
        plan = services.create_plan(
            tenant=self.tenant, actor=request.user, **self.validated(VoucherPlanInputSerializer)
        )
        return Response(VoucherPlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VoucherPlanInputSerializer, responses=VoucherPlanSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        plan = services.update_plan(
            plan=self.get_object(),
            actor=request.user,
            **self.validated(VoucherPlanInputSerializer, partial=True),
        )
        return Response(VoucherPlanSerializer(plan).data)


class VoucherAgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Resellers with their sold count, revenue and commission due."""

    queryset = VoucherAgent.objects.all()
    serializer_class = VoucherAgentSerializer
    required_perms = {
        "list": _perms("voucheragent", "view") + _perms("voucherbatch", "view"),
        "retrieve": _perms("voucheragent", "view") + _perms("voucherbatch", "view"),
        "create": _perms("voucheragent", "add", "view"),
        "partial_update": _perms("voucheragent", "change", "view"),
    }
    filterset_fields = ["name"]

    def get_queryset(self) -> QuerySet[VoucherAgent]:
        return super().get_queryset().order_by("id")

    @extend_schema(request=VoucherAgentInputSerializer, responses={201: VoucherAgentSerializer})
    def create(self, request: Request) -> Response:
        agent = services.create_agent(
            tenant=self.tenant, actor=request.user, **self.validated(VoucherAgentInputSerializer)
        )
        return Response(VoucherAgentSerializer(agent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VoucherAgentInputSerializer, responses=VoucherAgentSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        agent = services.update_agent(
            agent=self.get_object(),
            actor=request.user,
            **self.validated(VoucherAgentInputSerializer, partial=True),
        )
        return Response(VoucherAgentSerializer(agent).data)


class VoucherBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Voucher batches: generate one, sell its vouchers, download its cards."""

    queryset = VoucherBatch.objects.select_related("plan", "agent", "tenant").annotate(
        **selectors.STATE_COUNTS
    )
    serializer_class = VoucherBatchSerializer
    required_perms = {
        "list": _perms("voucherbatch", "view"),
        "retrieve": _perms("voucherbatch", "view"),
        "generate": _perms("voucherbatch", "add", "view") + _perms("voucher", "add"),
        "sell": _perms("voucherbatch", "change", "view") + _perms("voucher", "change"),
        "cards": _perms("voucherbatch", "view") + _perms("voucher", "view"),
    }
    filterset_fields = ["plan", "agent"]

    def get_queryset(self) -> QuerySet[VoucherBatch]:
        return super().get_queryset().order_by("-id")

    @extend_schema(request=GenerateInputSerializer, responses={201: VoucherBatchSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        batch = services.generate_batch(
            tenant=self.tenant, actor=request.user, **self.validated(GenerateInputSerializer)
        )
        return Response(VoucherBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SellInputSerializer, responses=SoldSerializer)
    @action(detail=True, methods=["post"])
    def sell(self, request: Request, pk: Any = None) -> Response:
        sold = services.sell_batch(
            batch=self.get_object(), actor=request.user, **self.validated(SellInputSerializer)
        )
        return Response({"sold": sold})

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")
        }
    )
    @action(detail=True, methods=["get"])
    def cards(self, request: Request, pk: Any = None) -> HttpResponse:
        batch = self.get_object()
        return pdf_response(cards.batch_pdf(batch), f"vouchers-{batch.pk}.pdf")


class VoucherViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Vouchers, read only, filtered by batch, state or code."""

    queryset = Voucher.objects.all()
    serializer_class = VoucherSerializer
    required_perms = {
        "list": _perms("voucher", "view"),
        "retrieve": _perms("voucher", "view"),
    }
    filterset_fields = ["batch", "state", "code"]

    def get_queryset(self) -> QuerySet[Voucher]:
        return super().get_queryset().order_by("id")
