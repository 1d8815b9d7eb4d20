"""API of the customers app: subscriber accounts."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet, input_fields
from ispstack.customers import services as customers
from ispstack.customers.api.serializers import CustomerSerializer
from ispstack.customers.models import Customer


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
        "tax_exempt",
        "tags",
        *customers.ADDRESS_FIELDS,
    }

    def create(self, request: Request) -> Response:
        customer = customers.create_customer(
            tenant=self.tenant, actor=request.user, **input_fields(request, self.FIELDS)
        )
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        customer = customers.update_customer(
            customer=self.get_object(), actor=request.user, **input_fields(request, self.FIELDS)
        )
        return Response(CustomerSerializer(customer).data)
