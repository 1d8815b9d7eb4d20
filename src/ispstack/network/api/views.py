"""API of the network app: IPv4 pools and IPv6 prefix pools, and how full they are."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.network import prefixes, selectors, services
from ispstack.network.api.serializers import (
    IPPoolInputSerializer,
    IPPoolSerializer,
    PrefixPoolChangeSerializer,
    PrefixPoolInputSerializer,
    PrefixPoolSerializer,
    UtilisationSerializer,
)
from ispstack.network.models import IPPool, PrefixPool


class IPPoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """IPv4 pools subscribers get their static address from."""

    queryset = IPPool.objects.all()
    serializer_class = IPPoolSerializer
    filterset_fields = ["name"]

    @extend_schema(request=IPPoolInputSerializer, responses={201: IPPoolSerializer})
    def create(self, request: Request) -> Response:
        pool = services.create_pool(
            tenant=self.tenant, actor=request.user, **self.validated(IPPoolInputSerializer)
        )
        return Response(IPPoolSerializer(pool).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IPPoolInputSerializer, responses=IPPoolSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        pool = services.update_pool(
            pool=self.get_object(),
            actor=request.user,
            **self.validated(IPPoolInputSerializer, partial=True),
        )
        return Response(IPPoolSerializer(pool).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete a pool that has no address handed out (409 otherwise)."""
        services.delete_pool(pool=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=UtilisationSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def utilisation(self, request: Request, pk: Any = None) -> Response:
        """Addresses the pool can hand out, handed out and free."""
        figures = selectors.ip_pool_utilisation(self.get_object())
        return Response(UtilisationSerializer(figures).data)


class PrefixPoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """IPv6 pools subscribers get their framed or delegated prefix from."""

    queryset = PrefixPool.objects.all()
    serializer_class = PrefixPoolSerializer
    filterset_fields = ["name", "kind"]

    @extend_schema(request=PrefixPoolInputSerializer, responses={201: PrefixPoolSerializer})
    def create(self, request: Request) -> Response:
        pool = prefixes.create_prefix_pool(
            tenant=self.tenant, actor=request.user, **self.validated(PrefixPoolInputSerializer)
        )
        return Response(PrefixPoolSerializer(pool).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PrefixPoolChangeSerializer, responses=PrefixPoolSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        pool = prefixes.update_prefix_pool(
            pool=self.get_object(),
            actor=request.user,
            **self.validated(PrefixPoolChangeSerializer, partial=True),
        )
        return Response(PrefixPoolSerializer(pool).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete a pool no subscription holds a prefix of (409 otherwise)."""
        prefixes.delete_prefix_pool(pool=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=UtilisationSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def utilisation(self, request: Request, pk: Any = None) -> Response:
        """Prefixes of the pool's assigned length it can hand out, held and free."""
        figures = selectors.prefix_pool_utilisation(self.get_object())
        return Response(UtilisationSerializer(figures).data)
