"""API of the captive portal and MAC onboarding: guests (switch off / on),
walled garden (and its RouterOS script), MAC profiles (MAC login on / off),
routers' onboarding secrets (create, rotate) and hotspot sessions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core import clock
from ispstack.core.api.base import TenantViewSet
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.tenancy import scope
from ispstack.hotspot.api.captive_serializers import (
    CaptiveStatusSerializer,
    CaptiveUserSerializer,
    HotspotSessionSerializer,
    MacAuthSerializer,
    MacProfileSerializer,
    RouterSecretInputSerializer,
    RouterSecretRevealSerializer,
    RouterSecretSerializer,
    WalledGardenInputSerializer,
    WalledGardenScriptSerializer,
    WalledGardenSerializer,
)
from ispstack.hotspot.captive import services, sessions
from ispstack.hotspot.captive.walled_garden import entries_for, routeros_script
from ispstack.hotspot.models import CaptiveUser, MacProfile, RouterSecret, WalledGardenEntry
from ispstack.hotspot.onboarding import services as onboarding
from ispstack.hotspot.onboarding.mac import normalise_mac
from ispstack.network.models import Nas


class CaptiveUserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Guests of the hotspot; staff switch one off or on again."""

    queryset = CaptiveUser.objects.order_by("-id")
    serializer_class = CaptiveUserSerializer
    filterset_fields = ["status", "email", "phone", "username"]
    required_perms = {
        "list": ("hotspot.view_captiveuser",),
        "retrieve": ("hotspot.view_captiveuser",),
        "status": ("hotspot.change_captiveuser",),
    }

    @extend_schema(request=CaptiveStatusSerializer, responses=CaptiveUserSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: Any = None) -> Response:
        user = services.set_status(
            user=self.get_object(), actor=request.user, **self.validated(CaptiveStatusSerializer)
        )
        return Response(CaptiveUserSerializer(user).data)


class WalledGardenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    """Destinations reachable before login; ``export`` gives the RouterOS script
    (``script``, to save as ``walled-garden.rsc`` and ``/import`` on the router)."""

    queryset = WalledGardenEntry.objects.select_related("nas", "site").order_by("kind", "value")
    serializer_class = WalledGardenSerializer
    filterset_fields = ["kind", "nas", "site"]
    required_perms = {
        "list": ("hotspot.view_walledgardenentry",),
        "retrieve": ("hotspot.view_walledgardenentry",),
        "create": ("hotspot.add_walledgardenentry",),
        "destroy": ("hotspot.delete_walledgardenentry",),
        "export": ("hotspot.view_walledgardenentry",),
    }

    @extend_schema(request=WalledGardenInputSerializer, responses={201: WalledGardenSerializer})
    def create(self, request: Request) -> Response:
        entry = services.add_walled_garden(
            tenant=self.tenant, actor=request.user, **self.validated(WalledGardenInputSerializer)
        )
        return Response(WalledGardenSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.remove_walled_garden(entry=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[
            OpenApiParameter("nas", int, description="The router's entries (its site's too)")
        ],
        responses={
            200: WalledGardenScriptSerializer,
            404: OpenApiResponse(description="No such NAS in the tenant (field nas)."),
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> Response:
        nas = None
        raw = request.query_params.get("nas", "")
        if raw:
            if not raw.isdigit() or len(raw) > 9:
                raise InvalidInput("must be a NAS id", field="nas")
            nas = scope(Nas.objects.all(), request.user).filter(pk=int(raw)).first()
            if nas is None:
                raise NotFound("no such NAS", field="nas")
        # The platform operator names the router, whose tenant the entries are.
        tenant = getattr(request.user, "tenant", None) or (nas.tenant if nas else None)
        if tenant is None:
            raise InvalidInput("name the NAS whose entries to export", field="nas")
        script = routeros_script(entries_for(tenant, nas))
        return Response({"nas": nas.pk if nas else None, "script": script})


class MacProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Devices reported by routers' lease scripts; MAC login on or off."""

    queryset = MacProfile.objects.order_by("-last_seen")
    serializer_class = MacProfileSerializer
    filterset_fields = ["mac_address", "nas", "mac_auth"]
    required_perms = {
        "list": ("hotspot.view_macprofile",),
        "retrieve": ("hotspot.view_macprofile",),
        "mac_auth": ("hotspot.change_macprofile",),
    }

    @extend_schema(request=MacAuthSerializer, responses=MacProfileSerializer)
    @action(detail=True, methods=["post"], url_path="mac-auth")
    def mac_auth(self, request: Request, pk: Any = None) -> Response:
        enabled = self.validated(MacAuthSerializer)["mac_auth"]
        profile = onboarding.set_mac_auth(
            profile=self.get_object(), enabled=enabled, actor=request.user
        )
        return Response(MacProfileSerializer(profile).data)


class RouterSecretViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Routers' lease-script secrets: the secret shows once, when made or rotated."""

    queryset = RouterSecret.objects.order_by("id")
    serializer_class = RouterSecretSerializer
    filterset_fields = ["nas"]
    required_perms = {
        "list": ("hotspot.view_routersecret",),
        "retrieve": ("hotspot.view_routersecret",),
        "create": ("hotspot.add_routersecret", "hotspot.view_routersecret"),
        "rotate": ("hotspot.change_routersecret", "hotspot.view_routersecret"),
    }

    @extend_schema(
        request=RouterSecretInputSerializer, responses={201: RouterSecretRevealSerializer}
    )
    def create(self, request: Request) -> Response:
        row = onboarding.create_secret(
            tenant=self.tenant, actor=request.user, **self.validated(RouterSecretInputSerializer)
        )
        return Response(RouterSecretRevealSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RouterSecretRevealSerializer)
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: Any = None) -> Response:
        row = onboarding.rotate_secret(row=self.get_object(), actor=request.user)
        return Response(RouterSecretRevealSerializer(row).data)


class HotspotSessionViewSet(mixins.ListModelMixin, TenantViewSet):
    """Sessions of the hotspot's guests, MAC devices and vouchers (radacct,
    which has no tenant column: the rows are chosen by the tenant's guests'
    and devices' usernames, see ``captive.sessions``)."""

    queryset = CaptiveUser.objects.all()
    serializer_class = HotspotSessionSerializer
    filterset_fields: list[str] = []
    required_perms = {"list": ("hotspot.view_captiveuser", "radius.view_radacct")}

    def get_queryset(self) -> QuerySet[Any]:
        query = self.request.query_params
        mac = query.get("mac", "")
        username = query.get("username", "")[:64]
        nas_ip = query.get("nas_ip", "")
        if nas_ip:
            import ipaddress

            try:
                nas_ip = str(ipaddress.ip_address(nas_ip))
            except ValueError:
                raise InvalidInput("not an IP address", field="nas_ip") from None
        return sessions.sessions_of(
            getattr(self.request.user, "tenant", None),
            open_only=query.get("open") == "true",
            username=username,
            mac=normalise_mac(mac) if mac else "",
            nas_ip=nas_ip,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("open", bool, description="Open sessions only"),
            OpenApiParameter("username", str),
            OpenApiParameter("mac", str, description="Calling-Station-Id, any notation"),
            OpenApiParameter("nas_ip", str, description="NAS-IP-Address"),
        ],
        responses=HotspotSessionSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        now = clock.now()
        rows = [sessions.as_row(s, now=now) for s in (page or [])]
        return self.get_paginated_response(HotspotSessionSerializer(rows, many=True).data)
