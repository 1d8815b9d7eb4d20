"""API of the catalog app: tax rates, plans, add-ons, promotions, bundles."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.catalog import services as catalog
from ispstack.catalog.api.serializers import (
    AddOnInputSerializer,
    AddOnSerializer,
    BundleInputSerializer,
    BundleSerializer,
    PlanInputSerializer,
    PlanSerializer,
    PromotionInputSerializer,
    PromotionSerializer,
    TaxRateInputSerializer,
    TaxRateSerializer,
)
from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate
from ispstack.core.api.base import TenantViewSet


class TaxRateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tax rates in percent."""

    queryset = TaxRate.objects.all()
    serializer_class = TaxRateSerializer
    required_perms = {
        "list": ("catalog.view_taxrate",),
        "retrieve": ("catalog.view_taxrate",),
        "create": ("catalog.add_taxrate",),
    }

    @extend_schema(request=TaxRateInputSerializer, responses={201: TaxRateSerializer})
    def create(self, request: Request) -> Response:
        tax = catalog.create_tax_rate(
            tenant=self.tenant, actor=request.user, **self.validated(TaxRateInputSerializer)
        )
        return Response(TaxRateSerializer(tax).data, status=status.HTTP_201_CREATED)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Internet plans."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    required_perms = {
        "list": ("catalog.view_plan",),
        "retrieve": ("catalog.view_plan",),
        "create": ("catalog.add_plan",),
        "partial_update": ("catalog.change_plan",),
    }
    filterset_fields = ["is_active", "code"]

    @extend_schema(request=PlanInputSerializer, responses={201: PlanSerializer})
    def create(self, request: Request) -> Response:
        plan = catalog.create_plan(
            tenant=self.tenant, actor=request.user, **self.validated(PlanInputSerializer)
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanInputSerializer, responses=PlanSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        plan = catalog.update_plan(
            plan=self.get_object(),
            actor=request.user,
            **self.validated(PlanInputSerializer, partial=True),
        )
        return Response(PlanSerializer(plan).data)


class AddOnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Add-ons sold on top of plans."""

    queryset = AddOn.objects.all()
    serializer_class = AddOnSerializer
    required_perms = {
        "list": ("catalog.view_addon",),
        "retrieve": ("catalog.view_addon",),
        "create": ("catalog.add_addon",),
    }

    @extend_schema(request=AddOnInputSerializer, responses={201: AddOnSerializer})
    def create(self, request: Request) -> Response:
        addon = catalog.create_addon(
            tenant=self.tenant, actor=request.user, **self.validated(AddOnInputSerializer)
        )
        return Response(AddOnSerializer(addon).data, status=status.HTTP_201_CREATED)


class PromotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Promotions: percent or fixed off the plan, for some cycles or forever."""

    queryset = Promotion.objects.all()
    serializer_class = PromotionSerializer
    required_perms = {
        "list": ("catalog.view_promotion",),
        "retrieve": ("catalog.view_promotion",),
        "create": ("catalog.add_promotion",),
    }

    @extend_schema(request=PromotionInputSerializer, responses={201: PromotionSerializer})
    def create(self, request: Request) -> Response:
        promotion = catalog.create_promotion(
            tenant=self.tenant, actor=request.user, **self.validated(PromotionInputSerializer)
        )
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)


class BundleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Bundles of plans and add-ons sold at a discount."""

    queryset = Bundle.objects.prefetch_related("plans", "addons")
    serializer_class = BundleSerializer
    required_perms = {
        "list": ("catalog.view_bundle",),
        "retrieve": ("catalog.view_bundle",),
        "create": ("catalog.add_bundle",),
    }

    @extend_schema(request=BundleInputSerializer, responses={201: BundleSerializer})
    def create(self, request: Request) -> Response:
        bundle = catalog.create_bundle(
            tenant=self.tenant, actor=request.user, **self.validated(BundleInputSerializer)
        )
        return Response(BundleSerializer(bundle).data, status=status.HTTP_201_CREATED)
