"""API v1 endpoints: customers, plans, subscriptions, invoices, payments."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.api.base import TenantViewSet
from ispstack.api.serializers import (
    CustomerSerializer,
    InvoiceSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PlanSerializer,
    SubscriptionSerializer,
    SuspendSerializer,
    TaxRateSerializer,
    TransitionSerializer,
)
from ispstack.billing.documents import invoice_pdf
from ispstack.billing.models import Invoice
from ispstack.catalog import services as catalog
from ispstack.catalog.models import Plan, TaxRate
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.customers import services as customers
from ispstack.customers.models import Customer
from ispstack.payments import services as payments
from ispstack.payments.models import Payment
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import Subscription


def _input(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The allowed fields of a JSON object body (a list body is refused)."""
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "items"):
        raise InvalidInput("the body must be a JSON object", field=None)
    return {k: v for k, v in data.items() if k in allowed}


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscriber accounts."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_fields = ["status", "account_number", "email"]
    FIELDS = {
        "name",
        "email",
        "phone",
        "currency",
        "status",
        "service_latitude",
        "service_longitude",
        *customers.ADDRESS_FIELDS,
    }

    def create(self, request: Request) -> Response:
        customer = customers.create_customer(
            tenant=self.tenant, actor=request.user, **_input(request, self.FIELDS)
        )
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        customer = customers.update_customer(
            customer=self.get_object(), actor=request.user, **_input(request, self.FIELDS)
        )
        return Response(CustomerSerializer(customer).data)


class TaxRateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tax rates in percent."""

    queryset = TaxRate.objects.all()
    serializer_class = TaxRateSerializer

    def create(self, request: Request) -> Response:
        data = _input(request, {"name", "rate"})
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
            tenant=self.tenant, actor=request.user, **_input(request, catalog.PLAN_FIELDS)
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        plan = catalog.update_plan(
            plan=self.get_object(), actor=request.user, **_input(request, catalog.PLAN_FIELDS)
        )
        return Response(PlanSerializer(plan).data)


class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscriptions and their lifecycle: activate, suspend, reconnect, terminate."""

    queryset = Subscription.objects.select_related("ip_address")
    serializer_class = SubscriptionSerializer
    filterset_fields = ["status", "customer", "plan", "username"]
    FIELDS = {"customer", "plan", "username", "password", "pool", "billing_day", "start_date"}

    def create(self, request: Request) -> Response:
        sub = subscriptions.create_subscription(
            tenant=self.tenant, actor=request.user, **_input(request, self.FIELDS)
        )
        return Response(SubscriptionSerializer(sub).data, status=status.HTTP_201_CREATED)

    def _transition(self, request: Request, name: str, serializer: Any) -> Response:
        params = serializer(data=request.data)
        params.is_valid(raise_exception=True)
        kwargs = {k: v for k, v in params.validated_data.items() if v not in (None, "")}
        sub = getattr(subscriptions, name)(
            subscription=self.get_object(), actor=request.user, **kwargs
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "activate", TransitionSerializer)

    @extend_schema(request=SuspendSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "suspend", SuspendSerializer)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def reconnect(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "reconnect", TransitionSerializer)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "terminate", TransitionSerializer)


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Invoices (issued by billing runs) and their PDF."""

    queryset = Invoice.objects.prefetch_related("lines")
    serializer_class = InvoiceSerializer
    filterset_fields = ["status", "customer", "number"]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        invoice = self.get_object()
        if not invoice.number:
            raise NotFound("a draft invoice has no PDF", field="invoice")
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Payments, allocated to the oldest open invoices when recorded."""

    queryset = Payment.objects.select_related("customer").prefetch_related("allocations__invoice")
    serializer_class = PaymentSerializer
    filterset_fields = ["customer", "method", "reference"]

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request) -> Response:
        params = PaymentCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        customer = None
        if data.get("customer"):
            customer = Customer.objects.for_tenant(self.tenant).filter(pk=data["customer"]).first()
            if customer is None:
                raise NotFound("no such customer in this tenant", field="customer")
        payment = payments.record_payment(
            tenant=self.tenant,
            customer=customer,
            account_number=data.get("account_number"),
            amount=data["amount"],
            received_on=data.get("received_on"),
            method=data["method"],
            reference=data.get("reference", ""),
            actor=request.user,
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)
