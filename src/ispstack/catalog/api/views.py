"""API of the catalog app: tax rates, plans, add-ons, promotions, bundles."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.catalog import services as catalog
from ispstack.catalog.api.serializers import (
    AddOnSerializer,
    BundleSerializer,
    PlanSerializer,
    PromotionSerializer,
    TaxRateSerializer,
)
from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate
from ispstack.core.api.base import TenantViewSet, input_fields


class TaxRateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tax rates in percent."""

    queryset = TaxRate.objects.all()
    serializer_class = TaxRateSerializer

    def create(self, request: Request) -> Response:
        data = input_fields(request, {"name", "rate"})
        tax = catalog.create_tax_rate(
            tenant=self.tenant,
            name=data.get("name", ""),
            rate=data.get("rate"),
            actor=request.user,
        )
        return Response(TaxRateSerializer(tax).data, status=status.HTTP_201_CREATED)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Internet plans."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    filterset_fields = ["is_active", "code"]

    def create(self, request: Request) -> Response:
        plan = catalog.create_plan(
            tenant=self.tenant, actor=request.user, **input_fields(request, catalog.PLAN_FIELDS)
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        plan = catalog.update_plan(
            plan=self.get_object(), actor=request.user, **input_fields(request, catalog.PLAN_FIELDS)
        )
        return Response(PlanSerializer(plan).data)


class AddOnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Add-ons sold on top of plans."""

    queryset = AddOn.objects.all()
    serializer_class = AddOnSerializer

    def create(self, request: Request) -> Response:
        data = input_fields(
            request, {"code", "name", "monthly_price", "tax_rate", "currency", "cycle_months"}
        )
        addon = catalog.create_addon(tenant=self.tenant, actor=request.user, **data)
        return Response(AddOnSerializer(addon).data, status=status.HTTP_201_CREATED)


class PromotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Promotions: percent or fixed off the plan, for some cycles or forever."""

    queryset = Promotion.objects.all()
    serializer_class = PromotionSerializer

    def create(self, request: Request) -> Response:
        data = input_fields(request, {"code", "name", "kind", "value", "cycles"})
        promotion = catalog.create_promotion(tenant=self.tenant, actor=request.user, **data)
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)


class BundleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Bundles of plans and add-ons sold at a discount."""

    queryset = Bundle.objects.prefetch_related("plans", "addons")
    serializer_class = BundleSerializer

    def create(self, request: Request) -> Response:
        data = input_fields(
            request,
            {
                "code",
                "name",
                "plans",
                "addons",
                "discount_kind",
                "discount_value",
                "requires_all_products",
            },
        )
        bundle = catalog.create_bundle(tenant=self.tenant, actor=request.user, **data)
        return Response(BundleSerializer(bundle).data, status=status.HTTP_201_CREATED)
