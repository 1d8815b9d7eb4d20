"""API of the customers app: subscriber accounts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.customers import services as customers
from ispstack.customers.api.serializers import CustomerInputSerializer, CustomerSerializer
from ispstack.customers.models import Customer


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscriber accounts."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    required_perms = {
        "list": ("customers.view_customer",),
        "retrieve": ("customers.view_customer",),
        "create": ("customers.add_customer",),
        "partial_update": ("customers.change_customer",),
    }
    filterset_fields = ["status", "account_number", "email"]

    @extend_schema(request=CustomerInputSerializer, responses={201: CustomerSerializer})
    def create(self, request: Request) -> Response:
        customer = customers.create_customer(
            tenant=self.tenant, actor=request.user, **self.validated(CustomerInputSerializer)
        )
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomerInputSerializer, responses=CustomerSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        customer = customers.update_customer(
            customer=self.get_object(),
            actor=request.user,
            **self.validated(CustomerInputSerializer, partial=True),
        )
        return Response(CustomerSerializer(customer).data)
