"""The demo ISP's network inventory: a POP with an OLT feeding fibre
subscribers and a tower with two wireless sectors, VLANs and the plan map,
ONUs in stock and installed, and each subscriber's installation record.

Called by ``ispstack demo`` once the subscribers exist; ``reset`` removes
it again before the demo tenant is deleted.
"""

from __future__ import annotations

import random
from decimal import Decimal

from ispstack.catalog.models import Plan
from ispstack.core.models import Tenant
from ispstack.network import devices, sites
from ispstack.network.models import (
    Device,
    IPPool,
    Nas,
    Onu,
    OnuState,
    PlanVlan,
    PonPort,
    Sector,
    Site,
    Vlan,
)
from ispstack.network.services import update_pool
from ispstack.subscriptions.equipment import assign_onu, update_installation
from ispstack.subscriptions.models import OnuAssignment, Subscription, SubscriptionStatus

DEMO = "demo"
# Cape Town city bowl and Table View, where the demo's subscribers live.
POP = {"latitude": Decimal("-33.925"), "longitude": Decimal("18.424")}
TOWER = {"latitude": Decimal("-33.905"), "longitude": Decimal("18.445")}


def build_inventory(
    tenant: Tenant, *, pool: IPPool, nas: Nas, plans: list[Plan], seed: int = 7
) -> dict[str, int]:
    """Two sites with sectors, an OLT with PON ports and ONUs (some installed,
    some in stock, one faulty), VLANs and the plan -> VLAN map; the active
    subscribers get a sector, a connection type and a completed installation.
    Returns counts by kind of row, for the demo's summary."""
    rng = random.Random(seed)
    pop = sites.create_site(
        tenant=tenant,
        kind="pop",
        name="Cape Town POP",
        address="1 Long Street, Cape Town",
        coverage_radius_m=6000,
        actor=DEMO,
        **POP,
    )
    tower = sites.create_site(
        tenant=tenant,
        kind="tower",
        name="Signal Hill tower",
        address="Signal Hill Road, Cape Town",
        coverage_radius_m=8000,
        actor=DEMO,
        **TOWER,
    )
    update_pool(pool=pool, site=pop, actor=DEMO)
    Nas.objects.filter(pk=nas.pk).update(site=pop)
    olt = devices.create_device(
        tenant=tenant,
        role="olt",
        name="cpt-olt-1",
        site=pop,
        vendor="ZTE",
        model="C320",
        serial="ZTEC32000001",
        mac="00:1e:73:00:00:01",
        management_address="100.64.3.250",
        firmware="V2.1.0",
        username="noc",
        password="demo-olt-password",
        actor=DEMO,
    )
    ports = [
        devices.create_pon_port(tenant=tenant, olt=olt, slot=1, port=n, actor=DEMO) for n in (1, 2)
    ]
    sectors = []
    for name, azimuth in (("North", 0), ("South-west", 220)):
        ap = devices.create_device(
            tenant=tenant,
            role="ap",
            name=f"sh-ap-{name.lower()}",
            site=tower,
            vendor="Ubiquiti",
            model="LTU Rocket",
            serial=f"UBNT-{azimuth:03d}",
            actor=DEMO,
        )
        sectors.append(
            sites.create_sector(
                tenant=tenant,
                site=tower,
                name=name,
                access_point=ap,
                band="5 GHz",
                azimuth=azimuth,
                beamwidth=120,
                capacity_subscribers=64,
                capacity_mbps=600,
                actor=DEMO,
            )
        )
    fibre_sector = sites.create_sector(
        tenant=tenant, site=pop, name="PON", azimuth=0, beamwidth=360, actor=DEMO
    )
    for site, base in ((pop, 100), (tower, 200)):
        default = sites.create_vlan(tenant=tenant, site=site, vid=base + 10, name="default")
        sites.map_plan_vlan(tenant=tenant, site=site, plan=None, vlan=default, actor=DEMO)
        for offset, plan in enumerate(plans):
            vlan = sites.create_vlan(
                tenant=tenant, site=site, vid=base + offset, name=plan.code, actor=DEMO
            )
            sites.map_plan_vlan(tenant=tenant, site=site, plan=plan, vlan=vlan, actor=DEMO)

    onus = [
        devices.create_onu(
            tenant=tenant,
            serial=f"ZTEG{n:08X}",
            model="F660",
            pon_port=ports[n % 2],
            actor=DEMO,
        )
        for n in range(1, 13)
    ]
    active = list(
        Subscription.objects.for_tenant(tenant)
        .filter(status=SubscriptionStatus.ACTIVE)
        .select_related("customer")
        .order_by("pk")
    )
    fibre, wireless = active[::2], active[1::2]
    for sub, onu in zip(fibre, onus, strict=False):
        assign_onu(onu=onu, subscription=sub, actor=DEMO)
        update_installation(
            subscription=sub,
            installation_status="completed",
            installation_date=sub.start_date,
            connection_type="ftth",
            last_mile_technology="gpon",
            sector=fibre_sector,
            actor=DEMO,
        )
    for sub in wireless:
        update_installation(
            subscription=sub,
            installation_status="completed",
            installation_date=sub.start_date,
            connection_type="wireless",
            last_mile_technology="wifi",
            sector=rng.choice(sectors),
            actor=DEMO,
        )
    spare = [onu for onu in onus if Onu.objects.get(pk=onu.pk).state == OnuState.IN_STOCK]
    if spare:
        devices.change_onu_state(
            onu=spare[-1], transition="mark_faulty", reason="no optical signal", actor=DEMO
        )
    return {
        "sites": 2,
        "sectors": len(sectors) + 1,
        "onus": len(onus),
        "onus_installed": min(len(fibre), len(onus)),
    }


def reset(tenant: Tenant) -> None:
    """Delete the tenant's inventory and ONU history; subscriptions must go
    between the two steps (they point at sectors and CPEs)."""
    OnuAssignment.objects.filter(tenant=tenant).delete()


def reset_after_subscriptions(tenant: Tenant) -> None:
    """The inventory itself, once no subscription points at it."""
    for model in (PlanVlan, Vlan, Onu, PonPort, Sector, Device, Site):
        model.objects.filter(tenant=tenant).delete()
