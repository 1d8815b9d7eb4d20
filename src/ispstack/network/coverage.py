"""Where the network reaches: GPS positions, coverage areas and the coverage
check of an address (is a point inside a site's or a sector's area).

Positions are WGS 84 degrees. An area is a GeoJSON Polygon or MultiPolygon
(RFC 7946: longitude before latitude), tested with shapely, or a circle of
a radius in metres around its site, measured along the earth's surface with
the haversine formula on a sphere of the mean earth radius (IUGG, 6,371,008.8
m); a sector's circle with a beamwidth below 360 degrees is the wedge
azimuth +/- beamwidth/2.
"""

from __future__ import annotations

import dataclasses
import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.network.inventory import Sector, Site

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean earth radius
# A coverage polygon is drawn by hand or exported from a planning tool; a
# few thousand vertices outline any cell, more is a file to simplify first.
MAX_POLYGON_VERTICES = 5_000
MAX_POLYGON_TEXT = 200_000
# The widest cell a fixed-wireless or fibre site serves, as a typo guard.
MAX_RADIUS_M = 100_000
_SIX_PLACES = Decimal("0.000001")


def coordinate(value: Any, field: str) -> Decimal:
    """A latitude (``field`` naming ``latitude``) in -90..90 or a longitude in
    -180..180, in degrees, as a Decimal with at most 6 decimals (about 0.1 m).

    Accepts a Decimal, int, float or decimal string. Raises InvalidInput
    naming ``field``.
    """
    limit = 90 if "latitude" in field else 180
    if isinstance(value, bool) or value in (None, ""):
        raise InvalidInput("is required: a number of degrees", field=field)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"'{str(value)[:40]}' is not a number of degrees", field=field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise InvalidInput(f"must lie within -{limit}..{limit} degrees (WGS 84)", field=field)
    return number.quantize(_SIX_PLACES)


def polygon(value: Any, field: str = "coverage_polygon") -> str:
    """A coverage area as normalised GeoJSON text ('' for none).

    ``value`` is GeoJSON text or an already parsed dict, of type Polygon or
    MultiPolygon, valid (no self-intersection), at most
    ``MAX_POLYGON_VERTICES`` vertices, every position within WGS 84 bounds.
    Raises InvalidInput naming ``field``.
    """
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        if len(value) > MAX_POLYGON_TEXT:
            raise InvalidInput(f"has at most {MAX_POLYGON_TEXT} characters", field=field)
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput("is not GeoJSON (not JSON)", field=field) from None
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput("must be a GeoJSON Polygon or MultiPolygon", field=field)
    try:
        geometry = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        raise InvalidInput("is not a well-formed GeoJSON polygon", field=field) from None
    if geometry.is_empty:
        raise InvalidInput("is an empty polygon", field=field)
    rings = _rings(geometry)
    if sum(len(ring.coords) for ring in rings) > MAX_POLYGON_VERTICES:
        raise InvalidInput(f"has more than {MAX_POLYGON_VERTICES} vertices", field=field)
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput(
            "has a position outside WGS 84 bounds (longitude -180..180, latitude -90..90; "
            "GeoJSON puts longitude first)",
            field=field,
        )
    if not geometry.is_valid:
        raise InvalidInput("is not a valid polygon (it crosses itself)", field=field)
    return json.dumps(value, separators=(",", ":"))


def radius(value: Any, field: str = "coverage_radius_m") -> int | None:
    """A coverage radius in whole metres, 1..``MAX_RADIUS_M``, or None.
    Raises InvalidInput naming ``field``."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be a whole number of metres", field=field)
    if not 1 <= value <= MAX_RADIUS_M:
        raise InvalidInput(f"must be 1 to {MAX_RADIUS_M} metres", field=field)
    return value


def _rings(geometry: BaseGeometry) -> list[Any]:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    return [ring for p in polygons if isinstance(p, Polygon) for ring in (p.exterior, *p.interiors)]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS 84 positions (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing in degrees from true north (0..360) from the first
    position to the second."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlambda = math.radians(lon2 - lon1)
    x = math.sin(dlambda) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlambda)
    return math.degrees(math.atan2(x, y)) % 360


def _in_polygon(text: str, point: Point) -> bool:
    # covers, not contains: a point on the drawn border is served.
    return bool(shape(json.loads(text)).covers(point))


def _site_covers(site: Site, point: Point, distance: float) -> bool:
    if site.coverage_polygon:
        return _in_polygon(site.coverage_polygon, point)
    return site.coverage_radius_m is not None and distance <= site.coverage_radius_m


def _sector_covers(sector: Sector, site: Site, point: Point, distance: float) -> bool:
    if sector.coverage_polygon:
        return _in_polygon(sector.coverage_polygon, point)
    if sector.coverage_radius_m is None:
        return _site_covers(site, point, distance)
    if distance > sector.coverage_radius_m:
        return False
    if sector.beamwidth >= 360 or distance == 0:
        return True
    towards = bearing(float(site.latitude), float(site.longitude), point.y, point.x)
    off_axis = abs((towards - sector.azimuth + 180) % 360 - 180)
    return off_axis <= sector.beamwidth / 2


@dataclasses.dataclass(frozen=True)
class Coverage:
    """A site whose area (or one of whose sectors' areas) covers a point:
    ``sectors`` are the sectors covering it (possibly none when only the
    site's own area does), ``distance_m`` the distance from the site in
    metres."""

    site: Site
    sectors: list[Sector]
    distance_m: float


def sites_covering(tenant: Tenant, latitude: Any, longitude: Any) -> list[Coverage]:
    """The tenant's sites covering the WGS 84 position, nearest first.

    A site covers a point inside its coverage polygon, or within its
    coverage radius; a sector covers it by its own area when it has one,
    by its site's otherwise. An empty list: no site serves the address.
    Raises InvalidInput (``latitude`` / ``longitude``) for a position
    outside WGS 84 bounds.
    """
    lat = float(coordinate(latitude, "latitude"))
    lon = float(coordinate(longitude, "longitude"))
    point = Point(lon, lat)
    sites = Site.objects.for_tenant(tenant).prefetch_related(
        Prefetch("sectors", queryset=Sector.objects.order_by("name"))
    )
    found = []
    for site in sites:
        distance = distance_m(float(site.latitude), float(site.longitude), lat, lon)
        sectors = [s for s in site.sectors.all() if _sector_covers(s, site, point, distance)]
        if sectors or _site_covers(site, point, distance):
            found.append(Coverage(site=site, sectors=sectors, distance_m=round(distance, 1)))
    found.sort(key=lambda match: (match.distance_m, match.site.name))
    return found
