"""Writes on sites, their sectors, VLANs and the plan -> VLAN map.

Every function takes keyword arguments, checks its input (``core.inputs``
and the rules below), writes in one transaction with an audit row, and
raises InvalidInput, NotFound or Conflict naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils.text import slugify

from ispstack.core import audit, inputs
from ispstack.core.audit import write
from ispstack.core.errors import InvalidInput
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant, TenantScopedModel
from ispstack.network import coverage
from ispstack.network.inventory import (
    Device,
    DeviceRole,
    PlanVlan,
    Sector,
    Site,
    SiteKind,
    Vlan,
)

M = TypeVar("M", bound=TenantScopedModel)

SITE_FIELDS = (
    "kind",
    "name",
    "slug",
    "address",
    "latitude",
    "longitude",
    "coverage_polygon",
    "coverage_radius_m",
    "description",
)
SECTOR_FIELDS = (
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
)
VLAN_FIELDS = ("site", "vid", "name", "description")


def owned(tenant: Tenant, model: type[M], value: Any, field: str) -> M:
    """``inputs.owned``, typed as the model asked for."""
    found: M = inputs.owned(tenant, model, value, field)
    return found


def optional_owned(tenant: Tenant, model: type[M], value: Any, field: str) -> M | None:
    """As ``owned``, with None (or '') for no row."""
    return None if value in (None, "") else owned(tenant, model, value, field)


def _coverage(data: dict[str, Any], clean: dict[str, Any], current: Any) -> None:
    if "coverage_polygon" in data:
        clean["coverage_polygon"] = coverage.polygon(data["coverage_polygon"])
    if "coverage_radius_m" in data:
        clean["coverage_radius_m"] = coverage.radius(data["coverage_radius_m"])
    polygon = clean.get("coverage_polygon", getattr(current, "coverage_polygon", ""))
    radius = clean.get("coverage_radius_m", getattr(current, "coverage_radius_m", None))
    if polygon and radius:
        raise InvalidInput(
            "give a coverage polygon or a radius, not both", field="coverage_radius_m"
        )


def _clean_site(tenant: Tenant) -> Callable[[dict[str, Any], Site | None], dict[str, Any]]:
    def clean(data: dict[str, Any], site: Site | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "kind" in data:
            if data["kind"] not in SiteKind.values:
                raise InvalidInput(f"must be one of {', '.join(SiteKind.values)}", field="kind")
            values["kind"] = data["kind"]
        if "name" in data:
            values["name"] = inputs.text(data["name"], "name", required=True, max_length=100)
        if data.get("slug") not in (None, ""):
            slug = inputs.text(data["slug"], "slug", max_length=50)
            if slugify(slug) != slug:
                raise InvalidInput("must be lower-case letters, digits, '-' or '_'", field="slug")
            values["slug"] = slug
        elif site is None:
            values["slug"] = slugify(values.get("name", ""))[:50]
            if not values["slug"]:
                raise InvalidInput("give a slug: the name has no letters or digits", field="slug")
        for field in ("address", "description"):
            if field in data:
                values[field] = inputs.text(data[field], field)
        for field in ("latitude", "longitude"):
            if field in data:
                values[field] = coverage.coordinate(data[field], field)
        _coverage(data, values, site)
        sites = Site.objects.for_tenant(tenant)
        if "name" in values:
            inputs.taken(sites.filter(name=values["name"]), site, "a site has this name", "name")
        if "slug" in values:
            inputs.taken(sites.filter(slug=values["slug"]), site, "a site has this slug", "slug")
        return values

    return clean


@integrity_conflicts()
@transaction.atomic
def create_site(*, tenant: Tenant, actor: Any = None, **data: Any) -> Site:
    """Create a site. Required: ``kind`` (pop, tower, cabinet), ``name``,
    ``latitude`` (-90..90) and ``longitude`` (-180..180) in WGS 84 degrees;
    optional ``slug`` (from the name when absent), ``address``,
    ``coverage_polygon`` (GeoJSON Polygon / MultiPolygon) or
    ``coverage_radius_m`` (metres), ``description``. Name and slug are
    unique within the tenant (Conflict)."""
    return write(
        model=Site,
        tenant=tenant,
        instance=None,
        data=data,
        allowed=SITE_FIELDS,
        required=("kind", "name", "latitude", "longitude"),
        clean=_clean_site(tenant),
        actor=actor,
        action="site",
    )


@integrity_conflicts()
@transaction.atomic
def update_site(*, site: Site, actor: Any = None, **data: Any) -> Site:
    """Change the given fields of ``site`` (rules of ``create_site``)."""
    return write(
        model=Site,
        tenant=site.tenant,
        instance=site,
        data=data,
        allowed=SITE_FIELDS,
        required=(),
        clean=_clean_site(site.tenant),
        actor=actor,
        action="site",
    )


def _clean_sector(tenant: Tenant) -> Callable[[dict[str, Any], Sector | None], dict[str, Any]]:
    def clean(data: dict[str, Any], sector: Sector | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "site" in data:
            values["site"] = owned(tenant, Site, data["site"], "site")
        if "name" in data:
            values["name"] = inputs.text(data["name"], "name", required=True, max_length=100)
        if "access_point" in data:
            ap = optional_owned(tenant, Device, data["access_point"], "access_point")
            if ap is not None and ap.role != DeviceRole.AP:
                raise InvalidInput("must be a device of role access point", field="access_point")
            values["access_point"] = ap
        if "band" in data:
            values["band"] = inputs.text(data["band"], "band", max_length=30)
        if "azimuth" in data:
            values["azimuth"] = inputs.whole_number(data["azimuth"], "azimuth")
            if not 0 <= values["azimuth"] <= 359:
                raise InvalidInput("must be 0-359 degrees from true north", field="azimuth")
        if "beamwidth" in data:
            values["beamwidth"] = inputs.whole_number(data["beamwidth"], "beamwidth")
            if not 1 <= values["beamwidth"] <= 360:
                raise InvalidInput("must be 1-360 degrees", field="beamwidth")
        for field in ("capacity_subscribers", "capacity_mbps"):
            if field in data:
                raw = data[field]
                values[field] = None if raw in (None, "") else inputs.whole_number(raw, field)
        _coverage(data, values, sector)
        site = values.get("site", getattr(sector, "site", None))
        name = values.get("name", getattr(sector, "name", None))
        if site is not None and name is not None:
            inputs.taken(
                Sector.objects.filter(site=site, name=name), sector, "the site has it", "name"
            )
        return values

    return clean


@integrity_conflicts()
@transaction.atomic
def create_sector(*, tenant: Tenant, actor: Any = None, **data: Any) -> Sector:
    """Create a sector on a site. Required: ``site``, ``name``, ``azimuth``
    (0-359 degrees); optional ``access_point`` (a device of role AP),
    ``band``, ``beamwidth`` (1-360, default 90), ``capacity_subscribers``,
    ``capacity_mbps`` (Mbit/s), its own coverage (see ``create_site``)."""
    return write(
        model=Sector,
        tenant=tenant,
        instance=None,
        data=data,
        allowed=SECTOR_FIELDS,
        required=("site", "name", "azimuth"),
        clean=_clean_sector(tenant),
        actor=actor,
        action="sector",
    )


@integrity_conflicts()
@transaction.atomic
def update_sector(*, sector: Sector, actor: Any = None, **data: Any) -> Sector:
    """Change the given fields of ``sector`` (rules of ``create_sector``)."""
    return write(
        model=Sector,
        tenant=sector.tenant,
        instance=sector,
        data=data,
        allowed=SECTOR_FIELDS,
        required=(),
        clean=_clean_sector(sector.tenant),
        actor=actor,
        action="sector",
    )


def _clean_vlan(tenant: Tenant) -> Callable[[dict[str, Any], Vlan | None], dict[str, Any]]:
    def clean(data: dict[str, Any], vlan: Vlan | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "site" in data:
            if vlan is not None and owned(tenant, Site, data["site"], "site") != vlan.site:
                raise InvalidInput("a VLAN stays at its site", field="site")
            values["site"] = owned(tenant, Site, data["site"], "site")
        if "vid" in data:
            values["vid"] = inputs.whole_number(data["vid"], "vid")
            if not 1 <= values["vid"] <= 4094:
                raise InvalidInput("must be 1-4094 (IEEE 802.1Q)", field="vid")
        if "name" in data:
            values["name"] = inputs.text(data["name"], "name", required=True, max_length=64)
        if "description" in data:
            values["description"] = inputs.text(data["description"], "description")
        site = values.get("site", getattr(vlan, "site", None))
        if "vid" in values and site is not None:
            inputs.taken(
                Vlan.objects.filter(site=site, vid=values["vid"]),
                vlan,
                f"VLAN {values['vid']} exists at this site",
                "vid",
            )
        return values

    return clean


@integrity_conflicts()
@transaction.atomic
def create_vlan(*, tenant: Tenant, actor: Any = None, **data: Any) -> Vlan:
    """Create a VLAN at a site. Required: ``site``, ``vid`` (1-4094, unique
    at the site), ``name``."""
    return write(
        model=Vlan,
        tenant=tenant,
        instance=None,
        data=data,
        allowed=VLAN_FIELDS,
        required=("site", "vid", "name"),
        clean=_clean_vlan(tenant),
        actor=actor,
        action="vlan",
    )


@integrity_conflicts()
@transaction.atomic
def update_vlan(*, vlan: Vlan, actor: Any = None, **data: Any) -> Vlan:
    """Change ``vid``, ``name`` or ``description`` of a VLAN (its site stays)."""
    return write(
        model=Vlan,
        tenant=vlan.tenant,
        instance=vlan,
        data=data,
        allowed=VLAN_FIELDS,
        required=(),
        clean=_clean_vlan(vlan.tenant),
        actor=actor,
        action="vlan",
    )


@transaction.atomic
def delete_vlan(*, vlan: Vlan, actor: Any = None) -> None:
    """Delete a VLAN and the plan mappings to it."""
    audit.record(
        tenant=vlan.tenant, actor=actor, action="vlan.delete", obj=vlan, before=audit.snapshot(vlan)
    )
    vlan.delete()


@integrity_conflicts()
@transaction.atomic
def map_plan_vlan(
    *, tenant: Tenant, site: Any, plan: Any, vlan: Any, actor: Any = None
) -> PlanVlan:
    """Put the subscribers of ``plan`` at ``site`` in ``vlan`` (a VLAN of that
    site); ``plan`` None sets the site's default VLAN. A plan already mapped
    at the site is moved to the new VLAN. Raises NotFound (``site``,
    ``plan``, ``vlan``), InvalidInput (``vlan`` of another site)."""
    site = owned(tenant, Site, site, "site")
    plan_model: Any = PlanVlan._meta.get_field("plan").related_model
    plan = None if plan in (None, "") else owned(tenant, plan_model, plan, "plan")
    vlan = owned(tenant, Vlan, vlan, "vlan")
    if vlan.site_id != site.pk:
        raise InvalidInput(f"VLAN {vlan.vid} is not a VLAN of site {site.name}", field="vlan")
    mapping = (
        PlanVlan.objects.select_for_update(of=("self",))
        .filter(site=site, **({"plan": plan} if plan else {"plan_id__isnull": True}))
        .first()
    )
    before = audit.snapshot(mapping) if mapping else None
    if mapping is None:
        mapping = PlanVlan.objects.create(tenant=tenant, site=site, plan=plan, vlan=vlan)
    else:
        mapping.vlan = vlan
        mapping.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="plan_vlan.map",
        obj=mapping,
        before=before,
        after=audit.snapshot(mapping),
    )
    return mapping


@transaction.atomic
def unmap_plan_vlan(*, mapping: PlanVlan, actor: Any = None) -> None:
    """Remove a plan -> VLAN mapping (the plan falls back to the site's default)."""
    audit.record(
        tenant=mapping.tenant,
        actor=actor,
        action="plan_vlan.unmap",
        obj=mapping,
        before=audit.snapshot(mapping),
    )
    mapping.delete()
