"""Serializers of the network API: the NAS registry and the pools, their
utilisation, and the input of each write (types and lengths from the model's
columns, from ``network.nas`` where the column is unbounded text); the
services check their input again."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    InputSerializer,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.network import coverage
from ispstack.network.devices import (
    DEVICE_FIELDS,
    ONU_FIELDS,
    PASSWORD_MAX_LENGTH,
    PON_PORT_FIELDS,
    STOCK_TRANSITIONS,
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
from ispstack.network.nas import (
    DESCRIPTION_MAX_LENGTH,
    NAS_FIELDS,
    NASNAME_MAX_LENGTH,
    SECRET_LENGTH,
    SHORTNAME_MAX_LENGTH,
)
from ispstack.network.services import MAX_EXCLUDED
from ispstack.network.sites import SECTOR_FIELDS, SITE_FIELDS, VLAN_FIELDS


class NasSerializer(serializers.ModelSerializer):
    """A NAS; the shared secret can be written, never read."""

    secret = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = Nas
        fields = [
            "id",
            "nasname",
            "shortname",
            "type",
            "secret",
            "coa_port",
            "description",
            "site",
            "device",
        ]


class NasInputSerializer(InputSerializer):
    """Input of ``POST nas/`` and ``PATCH nas/{id}/``."""

    # Declared rather than derived from the column: an address taken by any
    # tenant is the service's Conflict (409), not a uniqueness validator's 400.
    nasname = StrictCharField(
        max_length=NASNAME_MAX_LENGTH,
        help_text="The NAS's IPv4 or IPv6 address, the source of its RADIUS requests.",
    )
    secret = StrictCharField(
        min_length=SECRET_LENGTH[0],
        max_length=SECRET_LENGTH[1],
        trim_whitespace=False,
        help_text="RADIUS shared secret (RFC 2865), printable characters; never shown.",
    )

    class Meta:
        model = Nas
        fields = sorted(NAS_FIELDS)
        extra_kwargs = {
            "shortname": {"max_length": SHORTNAME_MAX_LENGTH},
            "description": {"max_length": DESCRIPTION_MAX_LENGTH},
            "coa_port": {
                "min_value": 1,
                "max_value": 65535,
                "help_text": "CoA/Disconnect port (RFC 5176); empty: 3799.",
            },
            # Another NAS's device is the service's Conflict (409), not a 400.
            "device": {"validators": [], "help_text": "The inventory router this NAS is."},
            "site": {"help_text": "The site the NAS serves."},
        }


class RevealedSecretSerializer(serializers.Serializer):
    """The NAS's shared secret, answered only to ``reveal-secret`` (audited)."""

    secret = serializers.CharField()


class IPPoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = IPPool
        fields = ["id", "name", "cidr", "gateway", "excluded", "description", "site", "created_at"]


class PrefixPoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = PrefixPool
        fields = ["id", "name", "prefix", "assign_length", "kind", "description", "created_at"]


class UtilisationSerializer(serializers.Serializer):
    """How full a pool is, counted in units of ``/unit_length``: addresses
    (32) for IPv4 pools, prefixes of the pool's assigned length for IPv6."""

    unit_length = serializers.IntegerField(help_text="Length of the units counted (/32, /64 ...).")
    size = serializers.IntegerField(help_text="Units the pool can hand out.")
    allocated = serializers.IntegerField(help_text="Units handed out.")
    free = serializers.IntegerField(help_text="Units still free.")
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="Allocated in percent of size."
    )


class IPPoolInputSerializer(InputSerializer):
    """Input of ``POST ip-pools/`` and ``PATCH ip-pools/{id}/``: ``cidr`` an IPv4
    network /8 to /32; ``gateway`` and ``excluded`` addresses inside it."""

    class Meta:
        model = IPPool
        fields = ["name", "cidr", "gateway", "excluded", "description", "site"]
        extra_kwargs = {"excluded": {"max_length": MAX_EXCLUDED}}


class PrefixPoolInputSerializer(InputSerializer):
    """Input of ``POST prefix-pools/``: an IPv6 ``prefix`` and the length of each
    prefix handed out (``framed``: /48 to /128, ``delegated``: /48 to /64)."""

    class Meta:
        model = PrefixPool
        fields = ["name", "prefix", "assign_length", "kind", "description"]


class PrefixPoolChangeSerializer(InputSerializer):
    """Input of ``PATCH prefix-pools/{id}/``: the name and description; the prefix,
    length and kind stay because subscriptions hold prefixes cut from them."""

    class Meta:
        model = PrefixPool
        fields = ["name", "description"]


# --- inventory -------------------------------------------------------------


class CoverageInputs(serializers.Serializer):
    """The coverage area fields shared by sites and sectors."""

    coverage_polygon = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="GeoJSON Polygon or MultiPolygon (longitude first), or null for none.",
    )
    coverage_radius_m = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=coverage.MAX_RADIUS_M,
        help_text="Coverage radius in metres, or null.",
    )

    def validate_coverage_polygon(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > coverage.MAX_POLYGON_TEXT:
            raise serializers.ValidationError(
                f"Has at most {coverage.MAX_POLYGON_TEXT} characters."
            )
        return value


class SiteSerializer(serializers.ModelSerializer):
    """A site; ``coverage_polygon`` as a GeoJSON object (null for none)."""

    coverage_polygon = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = [
            "id",
            "kind",
            "name",
            "slug",
            "address",
            "latitude",
            "longitude",
            "coverage_polygon",
            "coverage_radius_m",
            "description",
            "created_at",
            "updated_at",
        ]

    def get_coverage_polygon(self, site: Site) -> dict[str, Any] | None:
        return json.loads(site.coverage_polygon) if site.coverage_polygon else None


class SiteInputSerializer(CoverageInputs, InputSerializer):
    """Input of ``POST sites/`` and ``PATCH sites/{id}/``: WGS 84 degrees,
    latitude -90..90, longitude -180..180."""

    # Any precision is taken; the service keeps 6 decimals (about 0.1 m).
    latitude = StrictDecimalField(max_digits=None, decimal_places=None, min_value=-90, max_value=90)
    longitude = StrictDecimalField(
        max_digits=None, decimal_places=None, min_value=-180, max_value=180
    )

    class Meta:
        model = Site
        fields = list(SITE_FIELDS)
        extra_kwargs = {"slug": {"required": False}}


class SectorSerializer(SiteSerializer):
    class Meta:
        model = Sector
        fields = [
            "id",
            "site",
            "name",
            "access_point",
            "band",
            "azimuth",
            "beamwidth",
            "capacity_subscribers",
            "capacity_mbps",
            "coverage_polygon",
            "coverage_radius_m",
            "created_at",
            "updated_at",
        ]


class SectorInputSerializer(CoverageInputs, InputSerializer):
    """Input of ``POST sectors/`` and ``PATCH sectors/{id}/``: ``azimuth``
    0-359 degrees, ``beamwidth`` 1-360 degrees, ``capacity_mbps`` in Mbit/s."""

    class Meta:
        model = Sector
        fields = list(SECTOR_FIELDS)
        extra_kwargs = {
            "azimuth": {"min_value": 0, "max_value": 359},
            "beamwidth": {"min_value": 1, "max_value": 360},
        }


class DeviceSerializer(serializers.ModelSerializer):
    """A device; the management password can be written, never read:
    ``has_password`` says whether one is set."""

    has_password = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id",
            "role",
            "name",
            "site",
            "vendor",
            "model",
            "serial",
            "mac",
            "management_address",
            "firmware",
            "username",
            "has_password",
            "description",
            "created_at",
            "updated_at",
        ]

    def get_has_password(self, device: Device) -> bool:
        return bool(device.password)


class DeviceInputSerializer(InputSerializer):
    """Input of ``POST devices/`` and ``PATCH devices/{id}/``: ``mac`` in any
    common form (stored ``AA:BB:CC:DD:EE:FF``); ``password`` write-only."""

    mac = StrictCharField(max_length=17, required=False, allow_blank=True)
    management_address = StrictCharField(
        max_length=45, required=False, allow_blank=True, allow_null=True
    )
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="Management password; encrypted at rest, never shown.",
    )

    class Meta:
        model = Device
        fields = list(DEVICE_FIELDS)


class DevicePasswordSerializer(serializers.Serializer):
    """A device's management password, answered only to ``reveal-password`` (audited)."""

    password = serializers.CharField()


class PonPortSerializer(serializers.ModelSerializer):
    class Meta:
        model = PonPort
        fields = ["id", "olt", "slot", "port", "max_onus", "description", "created_at"]


class PonPortInputSerializer(InputSerializer):
    """Input of ``POST pon-ports/`` and ``PATCH pon-ports/{id}/``."""

    class Meta:
        model = PonPort
        fields = list(PON_PORT_FIELDS)
        extra_kwargs = {
            "slot": {"max_value": 255},
            "port": {"max_value": 255},
            "max_onus": {"min_value": 1, "max_value": 256},
        }


class OnuSerializer(serializers.ModelSerializer):
    class Meta:
        model = Onu
        fields = ["id", "serial", "model", "state", "pon_port", "notes", "created_at", "updated_at"]


class OnuInputSerializer(InputSerializer):
    """Input of ``POST onus/`` and ``PATCH onus/{id}/``: ``serial`` a 4-letter
    vendor id and 8 hex digits (``ZTEG12345678``)."""

    serial = StrictCharField(max_length=40)

    class Meta:
        model = Onu
        fields = list(ONU_FIELDS)


class OnuTransitionSerializer(Input):
    """Input of ``POST onus/{id}/state/``: a stock transition of an
    unassigned ONU and why."""

    transition = serializers.ChoiceField(choices=sorted(STOCK_TRANSITIONS))
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)


class VlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vlan
        fields = ["id", "site", "vid", "name", "description", "created_at"]


class VlanInputSerializer(InputSerializer):
    """Input of ``POST vlans/`` and ``PATCH vlans/{id}/``: ``vid`` 1-4094
    (IEEE 802.1Q), unique at the site."""

    class Meta:
        model = Vlan
        fields = list(VLAN_FIELDS)
        extra_kwargs = {"vid": {"min_value": 1, "max_value": 4094}}


class PlanVlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVlan
        fields = ["id", "site", "plan", "vlan", "created_at"]


class PlanVlanInputSerializer(InputSerializer):
    """Input of ``POST plan-vlans/``: the plan (null: the site's default) and
    the VLAN of the site its subscribers go in; a plan mapped already at the
    site moves to the new VLAN."""

    class Meta:
        model = PlanVlan
        fields = ["site", "plan", "vlan"]
        extra_kwargs = {"plan": {"required": False, "allow_null": True}}


class SitePoolsSerializer(UtilisationSerializer):
    """How full the IPv4 pools of a site are together, in addresses."""

    site = serializers.IntegerField(source="site.pk")
    site_name = serializers.CharField(source="site.name")
    pools = serializers.IntegerField(help_text="IPv4 pools of the site.")


class CoveringSectorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    """A site covering a position: its sectors covering it and the distance
    from the site in metres."""

    site = serializers.IntegerField(source="site.pk")
    site_name = serializers.CharField(source="site.name")
    sectors = CoveringSectorSerializer(many=True)
    distance_m = serializers.FloatField(help_text="Metres from the site.")
