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
