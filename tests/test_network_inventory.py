"""Network inventory: GPS and coverage rules, the coverage check of an
address, ONU serials and their state machine, the assignment history of ONUs
to subscriptions (one open assignment per ONU, also under concurrent
assignment), devices with credentials encrypted at rest."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.network import coverage
from ispstack.network.models import Onu, OnuState, Sector, Site
from ispstack.subscriptions.equipment import assign_onu, release_onu
from ispstack.subscriptions.models import OnuAssignment

pytestmark = pytest.mark.django_db

# A square of about 2.2 km around Berlin Alexanderplatz (52.5219 N, 13.4132 E).
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[13.40, 52.51], [13.43, 52.51], [13.43, 52.53], [13.40, 52.53], [13.40, 52.51]]
    ],
}


def site(tenant: Any, name: str, lat: str, lon: str, **extra: Any) -> Site:
    return Site.objects.create(
        tenant=tenant,
        kind="tower",
        name=name,
        slug=name.lower(),
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        **extra,
    )


def onu(tenant: Any, serial: str = "ZTEG12345678") -> Onu:
    return Onu.objects.create(tenant=tenant, serial=serial, model="F601")


def test_sites_covering_by_polygon_and_radius_nearest_first(make_tenant: Any) -> None:
    tenant = make_tenant()
    polygon_site = site(tenant, "Alex", "52.5219", "13.4132", coverage_polygon=json.dumps(SQUARE))
    # 1.5 km east of Alexanderplatz, 2 km radius.
    radius_site = site(tenant, "East", "52.5219", "13.4350", coverage_radius_m=2000)
    site(make_tenant(), "Other", "52.5219", "13.4132", coverage_radius_m=50_000)

    found = coverage.sites_covering(tenant, "52.5225", "13.4140")
    assert [m.site for m in found] == [polygon_site, radius_site]
    assert found[0].distance_m < found[1].distance_m

    # Outside the square, inside the radius.
    assert [m.site for m in coverage.sites_covering(tenant, 52.5219, 13.445)] == [radius_site]
    # A point outside every area.
    assert coverage.sites_covering(tenant, Decimal("48.1371"), Decimal("11.5754")) == []


def test_sector_wedge_covers_only_its_bearing(make_tenant: Any) -> None:
    tenant = make_tenant()
    tower = site(tenant, "Tower", "52.5000", "13.4000")
    north = Sector.objects.create(
        tenant=tenant, site=tower, name="N", azimuth=0, beamwidth=90, coverage_radius_m=3000
    )
    # 1.1 km north: inside the wedge; 1.1 km south: outside every area.
    [match] = coverage.sites_covering(tenant, "52.5100", "13.4000")
    assert match.site == tower and match.sectors == [north]
    assert coverage.sites_covering(tenant, "52.4900", "13.4000") == []


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        ("90.5", "13", "latitude"),
        ("-91", "0", "latitude"),
        ("0", "180.01", "longitude"),
        ("abc", "0", "latitude"),
        ("NaN", "0", "latitude"),
        ("0", None, "longitude"),
    ],
)
def test_gps_out_of_range_names_the_field(make_tenant: Any, lat: Any, lon: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        coverage.sites_covering(make_tenant(), lat, lon)
    assert caught.value.field == field


def test_assign_and_release_onu_keeps_history(make_tenant: Any, make_subscription: Any) -> None:
    tenant = make_tenant()
    sub = make_subscription(tenant)
    unit = onu(tenant)

    first = assign_onu(onu=unit, subscription=sub)
    unit.refresh_from_db()
    assert unit.state == OnuState.ASSIGNED and first.released_at is None

    with pytest.raises(InvalidTransition) as caught:
        assign_onu(onu=unit, subscription=make_subscription(tenant))
    assert caught.value.field == "onu"

    closed = release_onu(onu=unit, reason="customer moved", to_state=OnuState.IN_STOCK)
    assert closed.pk == first.pk and closed.released_at is not None
    with pytest.raises(InvalidTransition):
        release_onu(onu=unit, reason="again")

    assign_onu(onu=unit, subscription=sub)
    release_onu(onu=unit, reason="dead laser", to_state=OnuState.FAULTY)
    unit.refresh_from_db()
    assert unit.state == OnuState.FAULTY
    assert OnuAssignment.objects.filter(onu=unit).count() == 2
    with pytest.raises(InvalidTransition):
        assign_onu(onu=unit, subscription=sub)


def test_release_needs_reason_and_a_known_state(make_tenant: Any, make_subscription: Any) -> None:
    tenant = make_tenant()
    unit = onu(tenant)
    assign_onu(onu=unit, subscription=make_subscription(tenant))
    with pytest.raises(InvalidInput) as caught:
        release_onu(onu=unit, reason=" ")
    assert caught.value.field == "reason"
    with pytest.raises(InvalidInput) as caught:
        release_onu(onu=unit, reason="x", to_state="assigned")
    assert caught.value.field == "to_state"


def test_one_open_assignment_is_the_database_rule(make_tenant: Any, make_subscription: Any) -> None:
    from django.db import IntegrityError, transaction

    from ispstack.core import clock

    tenant = make_tenant()
    unit = onu(tenant)
    assign_onu(onu=unit, subscription=make_subscription(tenant))
    with pytest.raises(IntegrityError), transaction.atomic():
        OnuAssignment.objects.create(
            tenant=tenant, onu=unit, subscription=make_subscription(tenant), assigned_at=clock.now()
        )
    assert connection.is_usable()


@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_of_one_onu_one_wins(
    make_tenant: Any, make_subscription: Any
) -> None:
    """Eight subscriptions grab the same ONU at once, each on its own
    connection: one assignment is written, the others get InvalidTransition."""
    import threading

    from django.db import connections

    tenant = make_tenant()
    unit = onu(tenant)
    subs = [make_subscription(tenant) for _ in range(8)]
    start = threading.Barrier(len(subs))
    results: list[Any] = [None] * len(subs)

    def grab(i: int) -> None:
        try:
            start.wait(20)
            results[i] = assign_onu(onu=Onu.objects.get(pk=unit.pk), subscription=subs[i])
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(len(subs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    won = [r for r in results if isinstance(r, OnuAssignment)]
    lost = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(won) == 1 and len(lost) == len(subs) - 1, results
    assert OnuAssignment.objects.filter(onu=unit, released_at__isnull=True).count() == 1
    assert Onu.objects.get(pk=unit.pk).state == OnuState.ASSIGNED


# --- services: sites, devices, ONU stock -----------------------------------


def test_create_site_checks_gps_and_coverage(make_tenant: Any) -> None:
    from ispstack.network import sites

    tenant = make_tenant()
    base = {"kind": "pop", "name": "Main POP", "latitude": "52.5", "longitude": "13.4"}
    created = sites.create_site(tenant=tenant, coverage_polygon=json.dumps(SQUARE), **base)
    assert created.slug == "main-pop" and created.latitude == Decimal("52.500000")

    for bad, field in [
        ({"latitude": "90.000001"}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"latitude": True}, "latitude"),
        ({"kind": "datacentre"}, "kind"),
        ({"coverage_polygon": "{not json"}, "coverage_polygon"),
        (
            {"coverage_polygon": json.dumps({"type": "Point", "coordinates": [1, 2]})},
            "coverage_polygon",
        ),
        # Latitude first by mistake: 52 as a longitude is fine, 213 as a latitude is not.
        (
            {
                "coverage_polygon": json.dumps(
                    {"type": "Polygon", "coordinates": [[[52, 13], [52, 213], [53, 13], [52, 13]]]}
                )
            },
            "coverage_polygon",
        ),
        # A bow tie crosses itself.
        (
            {
                "coverage_polygon": json.dumps(
                    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
                )
            },
            "coverage_polygon",
        ),
        ({"coverage_radius_m": -5}, "coverage_radius_m"),
        ({"coverage_radius_m": 500, "coverage_polygon": json.dumps(SQUARE)}, "coverage_radius_m"),
        ({"name": "x" * 101}, "name"),
        ({"surprise": 1}, "surprise"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            sites.create_site(tenant=tenant, **{**base, "name": "Other", **bad})
        assert caught.value.field == field, bad

    from ispstack.core.errors import Conflict

    with pytest.raises(Conflict) as conflict:
        sites.create_site(tenant=tenant, **base)
    assert conflict.value.field == "name"
    # Another tenant may use the same name.
    sites.create_site(tenant=make_tenant(), **base)


def test_duplicate_serials_are_refused_per_tenant(make_tenant: Any) -> None:
    from ispstack.core.errors import Conflict
    from ispstack.network import devices

    tenant, other = make_tenant(), make_tenant()
    devices.create_device(
        tenant=tenant, role="olt", name="OLT 1", serial="abc123", mac="aa-bb-cc-dd-ee-ff"
    )
    with pytest.raises(Conflict) as caught:
        devices.create_device(tenant=tenant, role="switch", name="SW", serial="ABC123")
    assert caught.value.field == "serial"
    with pytest.raises(Conflict) as caught:
        devices.create_device(
            tenant=tenant, role="cpe", name="C", serial="X1", mac="aabb.ccdd.eeff"
        )
    assert caught.value.field == "mac"
    devices.create_device(tenant=other, role="olt", name="OLT 1", serial="ABC123")

    devices.create_onu(tenant=tenant, serial="zteg1234abcd")
    with pytest.raises(Conflict) as caught:
        devices.create_onu(tenant=tenant, serial="ZTEG1234ABCD")
    assert caught.value.field == "serial"
    devices.create_onu(tenant=other, serial="ZTEG1234ABCD")
    for bad in ("ZTE12345678", "ZTEG1234567", "ZTEG1234567G", "1234ABCDEF12", 12345678, ""):
        with pytest.raises(InvalidInput) as caught:
            devices.create_onu(tenant=tenant, serial=bad)
        assert caught.value.field == "serial"


@pytest.mark.parametrize(
    "mac", ["aa:bb:cc:dd:ee:fg", "aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:ff", "aabbccddeeff00", "x" * 200]
)
def test_bad_mac_names_the_field(make_tenant: Any, mac: str) -> None:
    from ispstack.network import devices

    with pytest.raises(InvalidInput) as caught:
        devices.create_device(tenant=make_tenant(), role="cpe", name="C", serial="S", mac=mac)
    assert caught.value.field == "mac"


def test_onu_stock_transitions(make_tenant: Any, make_subscription: Any) -> None:
    from ispstack.network import devices

    tenant = make_tenant()
    unit = devices.create_onu(tenant=tenant, serial="HWTC0000ABCD")
    with pytest.raises(InvalidTransition):
        devices.change_onu_state(onu=unit, transition="restock")  # not faulty
    unit = devices.change_onu_state(onu=unit, transition="mark_faulty", reason="no light")
    with pytest.raises(InvalidTransition):
        assign_onu(onu=unit, subscription=make_subscription(tenant))
    unit = devices.change_onu_state(onu=unit, transition="restock")
    assign_onu(onu=unit, subscription=make_subscription(tenant))
    for name in ("mark_faulty", "send_back", "restock"):
        with pytest.raises(InvalidTransition) as caught:
            devices.change_onu_state(onu=unit, transition=name)
        assert caught.value.field == "onu"
    with pytest.raises(InvalidInput) as bad:
        devices.change_onu_state(onu=unit, transition="assign")
    assert bad.value.field == "transition"
    release_onu(onu=unit, reason="RMA", to_state=OnuState.RETURNED)
    unit.refresh_from_db()
    assert unit.state == OnuState.RETURNED
    for name in ("mark_faulty", "send_back", "restock"):
        with pytest.raises(InvalidTransition):
            devices.change_onu_state(onu=unit, transition=name)


def test_device_password_is_encrypted_at_rest_and_revealed_with_audit(
    make_tenant: Any, make_staff: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    from ispstack.core.models import AuditLog
    from ispstack.network import devices

    tenant = make_tenant()
    device = devices.create_device(
        tenant=tenant,
        role="olt",
        name="OLT",
        serial="S1",
        username="admin",
        password="Zx9-olt-pass",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM network_device WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert "Zx9-olt-pass" not in stored and stored.startswith("gAAAA")
    assert not AuditLog.objects.filter(after__icontains="Zx9-olt-pass").exists()

    noc, support = make_staff(tenant, "noc"), make_staff(tenant, "support")
    assert devices.reveal_password(device=device, actor=noc) == "Zx9-olt-pass"
    assert AuditLog.objects.filter(action="device.reveal_password", actor=noc).count() == 1
    with pytest.raises(PermissionDenied):
        devices.reveal_password(device=device, actor=support)


def test_plan_vlan_map_and_default(make_tenant: Any, make_plan: Any) -> None:
    from ispstack.network import sites
    from ispstack.network.selectors import vlan_for

    tenant = make_tenant()
    pop = sites.create_site(tenant=tenant, kind="pop", name="P", latitude=1, longitude=1)
    other = sites.create_site(tenant=tenant, kind="pop", name="Q", latitude=1, longitude=1)
    fast, slow = make_plan(tenant), make_plan(tenant)
    v100 = sites.create_vlan(tenant=tenant, site=pop, vid=100, name="fibre-1g")
    v110 = sites.create_vlan(tenant=tenant, site=pop, vid=110, name="default")
    elsewhere = sites.create_vlan(tenant=tenant, site=other, vid=100, name="fibre-1g")
    from ispstack.core.errors import Conflict

    with pytest.raises(Conflict) as dup:
        sites.create_vlan(tenant=tenant, site=pop, vid=100, name="again")
    assert dup.value.field == "vid"
    for vid in (0, 4095, "x", True):
        with pytest.raises(InvalidInput) as caught:
            sites.create_vlan(tenant=tenant, site=pop, vid=vid, name="bad")
        assert caught.value.field == "vid"
    sites.map_plan_vlan(tenant=tenant, site=pop, plan=fast, vlan=v100)
    sites.map_plan_vlan(tenant=tenant, site=pop, plan=None, vlan=v110)
    assert vlan_for(pop, fast) == v100 and vlan_for(pop, slow) == v110
    assert vlan_for(other, fast) is None
    with pytest.raises(InvalidInput) as caught:
        sites.map_plan_vlan(tenant=tenant, site=pop, plan=slow, vlan=elsewhere)
    assert caught.value.field == "vlan"
    with pytest.raises(Exception) as foreign:
        sites.map_plan_vlan(tenant=tenant, site=pop, plan=make_plan(make_tenant()), vlan=v100)
    assert getattr(foreign.value, "field", None) == "plan"


def test_site_pool_utilisation(make_tenant: Any, make_subscription: Any) -> None:
    from ispstack.core.errors import NotFound
    from ispstack.network import sites
    from ispstack.network.selectors import site_pool_utilisation
    from ispstack.network.services import create_pool, update_pool

    tenant = make_tenant()
    pop = sites.create_site(tenant=tenant, kind="pop", name="P", latitude=1, longitude=1)
    pool = create_pool(tenant=tenant, name="p1", cidr="100.64.0.0/29")
    update_pool(pool=pool, site=pop.pk)
    create_pool(tenant=tenant, name="unsited", cidr="100.64.1.0/24")
    elsewhere = sites.create_site(
        tenant=make_tenant(), kind="pop", name="X", latitude=1, longitude=1
    )
    with pytest.raises(NotFound) as foreign:
        create_pool(tenant=tenant, name="p2", cidr="100.64.2.0/24", site=elsewhere)
    assert foreign.value.field == "site"
    make_subscription(tenant, pool=pool)
    [entry] = site_pool_utilisation(tenant)
    assert entry["site"] == pop and entry["size"] == 6 and entry["allocated"] == 1
    assert entry["percent"] == Decimal("16.67")


def test_installation_completed_needs_service_gps(
    make_tenant: Any, make_subscription: Any, make_staff: Any
) -> None:
    from ispstack.core import clock
    from ispstack.core.errors import NotFound
    from ispstack.network import devices, sites
    from ispstack.subscriptions.equipment import update_installation

    tenant = make_tenant()
    sub = make_subscription(tenant)
    tech = make_staff(tenant, "noc")
    tower = sites.create_site(tenant=tenant, kind="tower", name="T", latitude=1, longitude=1)
    sector = sites.create_sector(tenant=tenant, site=tower, name="N", azimuth=0)
    cpe = devices.create_device(tenant=tenant, role="cpe", name="CPE", serial="C1")
    sub = update_installation(
        subscription=sub,
        installation_status="scheduled",
        technician=tech,
        connection_type="wireless",
        last_mile_technology="wifi",
        sector=sector,
        cpe=cpe,
    )
    assert sub.sector == sector and sub.cpe == cpe
    with pytest.raises(InvalidInput) as caught:
        update_installation(subscription=sub, installation_status="completed")
    assert caught.value.field == "service_latitude"

    sub.customer.service_latitude = Decimal("52.1")
    sub.customer.service_longitude = Decimal("13.1")
    sub.customer.save()
    sub = update_installation(subscription=sub, installation_status="completed")
    assert sub.installation_date == clock.today(tenant)

    with pytest.raises(InvalidInput) as caught:
        update_installation(subscription=sub, connection_type="carrier-pigeon")
    assert caught.value.field == "connection_type"
    with pytest.raises(NotFound) as missing:
        update_installation(subscription=sub, technician=make_staff(make_tenant(), "noc"))
    assert missing.value.field == "technician"
    from ispstack.core.errors import Conflict

    with pytest.raises(Conflict) as held:
        update_installation(subscription=make_subscription(tenant), cpe=cpe)
    assert held.value.field == "cpe"


def test_demo_inventory(make_tenant: Any, make_subscription: Any, make_plan: Any) -> None:
    from ispstack.cli import demo_network
    from ispstack.network.models import Nas, PonPort, Vlan
    from ispstack.network.nas import create_nas

    tenant = make_tenant()
    plans = [make_plan(tenant), make_plan(tenant)]
    subs = [make_subscription(tenant, plan=plans[0]) for _ in range(4)]
    for sub in subs:
        sub.customer.service_latitude = Decimal("-33.92")
        sub.customer.service_longitude = Decimal("18.42")
        sub.customer.save()
    nas = create_nas(tenant=tenant, nasname="192.0.2.77", shortname="b", secret="s3cret-nas")
    counts = demo_network.build_inventory(
        tenant, pool=subs[0].pool, nas=Nas.objects.get(pk=nas.pk), plans=plans
    )
    assert counts["sites"] == 2 and PonPort.objects.filter(tenant=tenant).count() == 2
    states = set(Onu.objects.filter(tenant=tenant).values_list("state", flat=True))
    assert states == {OnuState.IN_STOCK, OnuState.ASSIGNED, OnuState.FAULTY}
    assert Vlan.objects.filter(tenant=tenant).count() == 6
    [match, *_] = coverage.sites_covering(tenant, "-33.92", "18.42")
    assert match.site.name == "Cape Town POP"
    assert all(s.installation_status == "completed" for s in reloaded(subs))

    demo_network.reset(tenant)
    assert not OnuAssignment.objects.filter(tenant=tenant).exists()


def reloaded(subs: list[Any]) -> list[Any]:
    from ispstack.subscriptions.models import Subscription

    return list(Subscription.objects.filter(pk__in=[s.pk for s in subs]))
