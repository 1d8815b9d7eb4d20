"""API of the network app: the NAS registry (secrets are write-only), IPv4
pools and IPv6 prefix pools, and how full they are; the inventory (sites,
sectors, devices with write-only passwords, PON ports, ONUs, VLANs, the plan
-> VLAN map) and the coverage check of a position."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.network import coverage, devices, prefixes, removal, selectors, services, sites
from ispstack.network.api.serializers import (
    CoverageSerializer,
    DeviceInputSerializer,
    DevicePasswordSerializer,
    DeviceSerializer,
    IPPoolInputSerializer,
    IPPoolSerializer,
    NasInputSerializer,
    NasSerializer,
    OnuInputSerializer,
    OnuSerializer,
    OnuTransitionSerializer,
    PlanVlanInputSerializer,
    PlanVlanSerializer,
    PonPortInputSerializer,
    PonPortSerializer,
    PrefixPoolChangeSerializer,
    PrefixPoolInputSerializer,
    PrefixPoolSerializer,
    RevealedSecretSerializer,
    SectorInputSerializer,
    SectorSerializer,
    SiteInputSerializer,
    SitePoolsSerializer,
    SiteSerializer,
    UtilisationSerializer,
    VlanInputSerializer,
    VlanSerializer,
)
from ispstack.network.models import (
    Device,
    IPPool,
    Nas,
    Onu,
    PlanVlan,
    PonPort,
    PrefixPool,
    Sector,
    Site,
    Vlan,
)
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


class SiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """POPs, towers and street cabinets with their GPS position and coverage."""

    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    required_perms = {
        "list": ("network.view_site",),
        "retrieve": ("network.view_site",),
        "create": ("network.add_site",),
        "partial_update": ("network.change_site",),
        "destroy": ("network.delete_site",),
        "pools": ("network.view_site", "network.view_ippool"),
        "covering": ("network.view_site", "network.view_sector"),
    }
    filterset_fields = ["kind", "slug"]

    @extend_schema(request=SiteInputSerializer, responses={201: SiteSerializer})
    def create(self, request: Request) -> Response:
        site = sites.create_site(
            tenant=self.tenant, actor=request.user, **self.validated(SiteInputSerializer)
        )
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteInputSerializer, responses=SiteSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        site = sites.update_site(
            site=self.get_object(),
            actor=request.user,
            **self.validated(SiteInputSerializer, partial=True),
        )
        return Response(SiteSerializer(site).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete a site (409 while it has sectors, devices, IP pools or NAS)."""
        removal.delete_site(site=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=SitePoolsSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def pools(self, request: Request, pk: Any = None) -> Response:
        """How full the site's IPv4 pools are together (zeros without pools)."""
        site = self.get_object()
        found = selectors.site_pool_utilisation(site.tenant, site)
        entry = found[0] if found else {"site": site, "pools": 0, **selectors._figures(0, 0, 32)}
        return Response(SitePoolsSerializer(entry).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("latitude", str, required=True, description="WGS 84 degrees."),
            OpenApiParameter("longitude", str, required=True, description="WGS 84 degrees."),
        ],
        responses=CoverageSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def covering(self, request: Request) -> Response:
        """The sites (and their sectors) whose coverage holds the position,
        nearest first; an empty list when no site serves it."""
        matches = coverage.sites_covering(
            getattr(request.user, "tenant", None),
            request.query_params.get("latitude"),
            request.query_params.get("longitude"),
            among=self.get_queryset(),
        )
        return Response(CoverageSerializer(matches, many=True).data)


class SectorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Sectors of the sites: the access point, band, azimuth and capacity."""

    queryset = Sector.objects.all()
    serializer_class = SectorSerializer
    required_perms = {
        "list": ("network.view_sector",),
        "retrieve": ("network.view_sector",),
        "create": ("network.add_sector",),
        "partial_update": ("network.change_sector",),
        "destroy": ("network.delete_sector",),
    }
    filterset_fields = ["site", "access_point"]

    @extend_schema(request=SectorInputSerializer, responses={201: SectorSerializer})
    def create(self, request: Request) -> Response:
        sector = sites.create_sector(
            tenant=self.tenant, actor=request.user, **self.validated(SectorInputSerializer)
        )
        return Response(SectorSerializer(sector).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SectorInputSerializer, responses=SectorSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        sector = sites.update_sector(
            sector=self.get_object(),
            actor=request.user,
            **self.validated(SectorInputSerializer, partial=True),
        )
        return Response(SectorSerializer(sector).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete a sector (409 while subscriptions are served through it)."""
        removal.delete_sector(sector=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Routers, OLTs, switches, access points and CPEs; the management password
    is write-only, read through ``reveal-password`` (audited)."""

    queryset = Device.objects.all()
    serializer_class = DeviceSerializer
    required_perms = {
        "list": ("network.view_device",),
        "retrieve": ("network.view_device",),
        "create": ("network.add_device",),
        "partial_update": ("network.change_device",),
        "destroy": ("network.delete_device",),
        "reveal_password": ("network.view_device", "network.reveal_credentials"),
    }
    filterset_fields = ["role", "site", "vendor", "serial", "mac"]

    @extend_schema(request=DeviceInputSerializer, responses={201: DeviceSerializer})
    def create(self, request: Request) -> Response:
        device = devices.create_device(
            tenant=self.tenant, actor=request.user, **self.validated(DeviceInputSerializer)
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeviceInputSerializer, responses=DeviceSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        device = devices.update_device(
            device=self.get_object(),
            actor=request.user,
            **self.validated(DeviceInputSerializer, partial=True),
        )
        return Response(DeviceSerializer(device).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete a device (409 while it is a CPE, a NAS, an access point or an OLT with ONUs)."""
        removal.delete_device(device=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=DevicePasswordSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-password")
    def reveal_password(self, request: Request, pk: Any = None) -> Response:
        """The management password, which no other response shows; each
        reveal is audited. A POST: it is an act recorded in the log."""
        password = devices.reveal_password(device=self.get_object(), actor=request.user)
        return Response(DevicePasswordSerializer({"password": password}).data)


class PonPortViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """PON ports of the OLTs and how many ONUs each serves."""

    queryset = PonPort.objects.all()
    serializer_class = PonPortSerializer
    required_perms = {
        "list": ("network.view_ponport",),
        "retrieve": ("network.view_ponport",),
        "create": ("network.add_ponport",),
        "partial_update": ("network.change_ponport",),
    }
    filterset_fields = ["olt"]

    @extend_schema(request=PonPortInputSerializer, responses={201: PonPortSerializer})
    def create(self, request: Request) -> Response:
        port = devices.create_pon_port(
            tenant=self.tenant, actor=request.user, **self.validated(PonPortInputSerializer)
        )
        return Response(PonPortSerializer(port).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PonPortInputSerializer, responses=PonPortSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        port = devices.update_pon_port(
            pon_port=self.get_object(),
            actor=request.user,
            **self.validated(PonPortInputSerializer, partial=True),
        )
        return Response(PonPortSerializer(port).data)


class OnuViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The ONU stock. Assigning an ONU to a subscription and releasing it are
    the subscriptions app's actions on this resource (``assign``, ``release``)."""

    queryset = Onu.objects.all()
    serializer_class = OnuSerializer
    required_perms = {
        "list": ("network.view_onu",),
        "retrieve": ("network.view_onu",),
        "create": ("network.add_onu",),
        "partial_update": ("network.change_onu",),
        "destroy": ("network.delete_onu",),
        "state": ("network.change_onu",),
    }
    filterset_fields = ["state", "model", "serial", "pon_port"]

    @extend_schema(request=OnuInputSerializer, responses={201: OnuSerializer})
    def create(self, request: Request) -> Response:
        onu = devices.create_onu(
            tenant=self.tenant, actor=request.user, **self.validated(OnuInputSerializer)
        )
        return Response(OnuSerializer(onu).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OnuInputSerializer, responses=OnuSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        onu = devices.update_onu(
            onu=self.get_object(),
            actor=request.user,
            **self.validated(OnuInputSerializer, partial=True),
        )
        return Response(OnuSerializer(onu).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete an ONU never assigned (409 once it has an assignment history)."""
        removal.delete_onu(onu=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=OnuTransitionSerializer, responses=OnuSerializer)
    @action(detail=True, methods=["post"])
    def state(self, request: Request, pk: Any = None) -> Response:
        """Move an unassigned ONU: ``mark_faulty``, ``send_back`` (to the
        supplier) or ``restock`` (repaired); 409 when its state forbids it."""
        onu = devices.change_onu_state(
            onu=self.get_object(), actor=request.user, **self.validated(OnuTransitionSerializer)
        )
        return Response(OnuSerializer(onu).data)


class VlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """VLANs of the sites (IEEE 802.1Q IDs 1-4094, unique per site)."""

    queryset = Vlan.objects.all()
    serializer_class = VlanSerializer
    required_perms = {
        "list": ("network.view_vlan",),
        "retrieve": ("network.view_vlan",),
        "create": ("network.add_vlan",),
        "partial_update": ("network.change_vlan",),
        "destroy": ("network.delete_vlan",),
    }
    filterset_fields = ["site", "vid"]

    @extend_schema(request=VlanInputSerializer, responses={201: VlanSerializer})
    def create(self, request: Request) -> Response:
        vlan = sites.create_vlan(
            tenant=self.tenant, actor=request.user, **self.validated(VlanInputSerializer)
        )
        return Response(VlanSerializer(vlan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VlanInputSerializer, responses=VlanSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        vlan = sites.update_vlan(
            vlan=self.get_object(),
            actor=request.user,
            **self.validated(VlanInputSerializer, partial=True),
        )
        return Response(VlanSerializer(vlan).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Delete a VLAN and the plan mappings to it."""
        sites.delete_vlan(vlan=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanVlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Which VLAN of a site each plan's subscribers go in (a row without a
    plan: the site's default)."""

    queryset = PlanVlan.objects.all()
    serializer_class = PlanVlanSerializer
    required_perms = {
        "list": ("network.view_planvlan",),
        "retrieve": ("network.view_planvlan",),
        "create": ("network.add_planvlan", "network.change_planvlan"),
        "destroy": ("network.delete_planvlan",),
    }
    filterset_fields = ["site", "plan", "vlan"]

    @extend_schema(request=PlanVlanInputSerializer, responses={201: PlanVlanSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(PlanVlanInputSerializer)
        mapping = sites.map_plan_vlan(
            tenant=self.tenant,
            actor=request.user,
            site=data["site"],
            plan=data.get("plan"),
            vlan=data["vlan"],
        )
        return Response(PlanVlanSerializer(mapping).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Remove a mapping: the plan falls back to the site's default VLAN."""
        sites.unmap_plan_vlan(mapping=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
