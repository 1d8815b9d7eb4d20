"""API of the network app: the NAS registry (secrets are write-only), IPv4
pools and IPv6 prefix pools, and how full they are."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
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
    NasInputSerializer,
    NasSerializer,
    PrefixPoolChangeSerializer,
    PrefixPoolInputSerializer,
    PrefixPoolSerializer,
    RevealedSecretSerializer,
    UtilisationSerializer,
)
from ispstack.network.models import IPPool, Nas, PrefixPool
from ispstack.network.nas import create_nas, reveal_secret, update_nas


class NasViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Routers and BRAS that FreeRADIUS serves and ispstack sends CoA to."""

    queryset = Nas.objects.all()
    serializer_class = NasSerializer
    required_perms = {
        "list": ("network.view_nas",),
        "retrieve": ("network.view_nas",),
        "create": ("network.add_nas",),
        "partial_update": ("network.change_nas",),
        "reveal_secret": ("network.view_nas", "network.reveal_secret"),
    }
    filterset_fields = ["type", "nasname"]

    def get_queryset(self) -> QuerySet[Nas]:
        return super().get_queryset().order_by("shortname")

    @extend_schema(request=NasInputSerializer, responses={201: NasSerializer})
    def create(self, request: Request) -> Response:
        nas = create_nas(
            tenant=self.tenant, actor=request.user, **self.validated(NasInputSerializer)
        )
        return Response(NasSerializer(nas).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NasInputSerializer, responses=NasSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        nas = update_nas(
            nas=self.get_object(),
            actor=request.user,
            **self.validated(NasInputSerializer, partial=True),
        )
        return Response(NasSerializer(nas).data)

    @extend_schema(request=None, responses=RevealedSecretSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-secret")
    def reveal_secret(self, request: Request, pk: Any = None) -> Response:
        """The shared secret, which no other response shows; each reveal is
        audited. A POST: it is an act recorded in the log, never cached."""
        secret = reveal_secret(nas=self.get_object(), actor=request.user)
        return Response(RevealedSecretSerializer({"secret": secret}).data)


class IPPoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """IPv4 pools subscribers get their static address from."""

    queryset = IPPool.objects.all()
    serializer_class = IPPoolSerializer
    required_perms = {
        "list": ("network.view_ippool",),
        "retrieve": ("network.view_ippool",),
        "create": ("network.add_ippool",),
        "partial_update": ("network.change_ippool",),
        "destroy": ("network.delete_ippool",),
        "utilisation": ("network.view_ippool", "network.view_ipaddress"),
    }
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
    # A pool's prefixes are held by subscriptions (their framed and delegated
    # prefixes), so counting them reads subscriptions.
    required_perms = {
        "list": ("network.view_prefixpool",),
        "retrieve": ("network.view_prefixpool",),
        "create": ("network.add_prefixpool",),
        "partial_update": ("network.change_prefixpool",),
        "destroy": ("network.delete_prefixpool", "subscriptions.view_subscription"),
        "utilisation": ("network.view_prefixpool", "subscriptions.view_subscription"),
    }
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
