"""The network inventory through the API: sites and the coverage check,
devices whose passwords never leave except through an audited reveal, ONUs
assigned and released, VLANs and the plan map, the installation record;
another tenant's rows read as 404 on every inventory endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from ispstack.core.models import AuditLog
from ispstack.network import devices, sites
from ispstack.network.models import Onu, OnuState
from ispstack.subscriptions.equipment import assign_onu
from ispstack.subscriptions.models import OnuAssignment

pytestmark = pytest.mark.django_db


def test_site_sector_and_coverage_check(tenant: Any, api_client_for: Any) -> None:
    client = api_client_for(tenant, "noc")
    polygon = {
        "type": "Polygon",
        "coordinates": [[[13.0, 52.0], [13.2, 52.0], [13.2, 52.2], [13.0, 52.2], [13.0, 52.0]]],
    }
    created = client.post(
        "/api/v1/sites/",
        {
            "kind": "tower",
            "name": "Hill",
            "latitude": "52.1",
            "longitude": "13.1",
            "coverage_polygon": polygon,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    site = created.json()
    assert site["slug"] == "hill" and site["coverage_polygon"] == polygon
    sector = client.post(
        "/api/v1/sectors/", {"site": site["id"], "name": "East", "azimuth": 90}, format="json"
    )
    assert sector.status_code == 201, sector.json()

    inside = client.get("/api/v1/sites/covering/?latitude=52.15&longitude=13.15")
    assert inside.status_code == 200
    [match] = inside.json()
    assert match["site"] == site["id"] and [s["name"] for s in match["sectors"]] == ["East"]
    outside = client.get("/api/v1/sites/covering/?latitude=48.1&longitude=11.5")
    assert outside.json() == []
    bad = client.get("/api/v1/sites/covering/?latitude=95&longitude=11.5")
    assert bad.status_code == 400 and bad.json()["field"] == "latitude"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latitude": "91"}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"latitude": True}, "latitude"),
        ({"name": "x" * 5000}, "name"),
        ({"name": ["Hill"]}, "name"),
        ({"kind": "moon"}, "kind"),
        ({"coverage_polygon": {"type": "Polygon", "coordinates": "nope"}}, "coverage_polygon"),
        ({"coverage_polygon": "x" * 300_000}, "coverage_polygon"),
        ({"coverage_radius_m": 10**12}, "coverage_radius_m"),
    ],
)
def test_bad_site_input_is_a_400_naming_the_field(
    tenant: Any, api_client_for: Any, body: dict[str, Any], field: str
) -> None:
    client = api_client_for(tenant, "noc")
    base = {"kind": "pop", "name": "P", "latitude": "1", "longitude": "1"}
    response = client.post("/api/v1/sites/", {**base, **body}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["field"] == field


def test_device_password_is_write_only_and_revealed_by_noc(
    tenant: Any, api_client_for: Any
) -> None:
    noc, support = api_client_for(tenant, "noc"), api_client_for(tenant, "support")
    created = noc.post(
        "/api/v1/devices/",
        {
            "role": "olt",
            "name": "OLT A",
            "serial": "zx-001",
            "mac": "AABB.CCDD.EEFF",
            "username": "admin",
            "password": "Olt-P4ss-w0rd",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    device = created.json()
    assert device["mac"] == "AA:BB:CC:DD:EE:FF" and device["serial"] == "ZX-001"
    assert device["has_password"] is True and "password" not in device
    for client in (noc, support):
        for url in ("/api/v1/devices/", f"/api/v1/devices/{device['id']}/"):
            response = client.get(url)
            assert response.status_code == 200
            assert b"Olt-P4ss-w0rd" not in response.content

    assert support.post(f"/api/v1/devices/{device['id']}/reveal-password/").status_code == 403
    revealed = noc.post(f"/api/v1/devices/{device['id']}/reveal-password/")
    assert revealed.json() == {"password": "Olt-P4ss-w0rd"}
    assert AuditLog.objects.filter(action="device.reveal_password").count() == 1

    duplicate = noc.post(
        "/api/v1/devices/", {"role": "cpe", "name": "B", "serial": "ZX-001"}, format="json"
    )
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "serial"


def test_onu_assign_release_and_state_through_the_api(
    tenant: Any, api_client_for: Any, make_subscription: Any
) -> None:
    client = api_client_for(tenant, "noc")
    sub, other_sub = make_subscription(tenant), make_subscription(tenant)
    created = client.post("/api/v1/onus/", {"serial": "zteg0000abcd"}, format="json")
    assert created.status_code == 201 and created.json()["serial"] == "ZTEG0000ABCD"
    onu_id = created.json()["id"]
    assert (
        client.post("/api/v1/onus/", {"serial": "ZTEG0000ABCD"}, format="json").status_code == 409
    )
    bad = client.post("/api/v1/onus/", {"serial": "ZTE-123"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "serial"

    assigned = client.post(
        f"/api/v1/onus/{onu_id}/assign/", {"subscription": sub.pk}, format="json"
    )
    assert assigned.status_code == 201, assigned.json()
    again = client.post(
        f"/api/v1/onus/{onu_id}/assign/", {"subscription": other_sub.pk}, format="json"
    )
    assert again.status_code == 409 and again.json()["field"] == "onu"
    faulty = client.post(
        f"/api/v1/onus/{onu_id}/state/", {"transition": "mark_faulty"}, format="json"
    )
    assert faulty.status_code == 409 and faulty.json()["field"] == "onu"

    released = client.post(
        f"/api/v1/onus/{onu_id}/release/",
        {"reason": "laser dead", "to_state": "faulty"},
        format="json",
    )
    assert released.status_code == 200 and released.json()["released_at"]
    assert client.get(f"/api/v1/onus/{onu_id}/").json()["state"] == OnuState.FAULTY
    history = client.get(f"/api/v1/onu-assignments/?onu={onu_id}").json()["results"]
    assert [(h["subscription"], h["reason"]) for h in history] == [(sub.pk, "laser dead")]
    listed = client.get("/api/v1/onus/?state=faulty").json()["results"]
    assert [o["id"] for o in listed] == [onu_id]


def test_installation_record_and_gps_rule(
    tenant: Any, api_client_for: Any, make_subscription: Any, make_staff: Any
) -> None:
    client = api_client_for(tenant, "noc")
    sub = make_subscription(tenant)
    tech = make_staff(tenant, "noc")
    response = client.post(
        f"/api/v1/subscriptions/{sub.pk}/installation/",
        {
            "installation_status": "scheduled",
            "technician": tech.pk,
            "connection_type": "ftth",
            "last_mile_technology": "xgs-pon",
            "installation_date": "2026-03-02",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    shown = client.get(f"/api/v1/subscriptions/{sub.pk}/").json()
    assert (shown["installation_status"], shown["technician"], shown["last_mile_technology"]) == (
        "scheduled",
        tech.pk,
        "xgs-pon",
    )
    completed = client.post(
        f"/api/v1/subscriptions/{sub.pk}/installation/",
        {"installation_status": "completed"},
        format="json",
    )
    assert completed.status_code == 400
    assert completed.json()["field"] == "service_latitude"
    assert "GPS" in completed.json()["detail"]


def test_vlans_plan_map_and_site_pools(
    tenant: Any, api_client_for: Any, make_plan: Any, make_subscription: Any
) -> None:
    from ispstack.network.models import IPPool

    client = api_client_for(tenant, "noc")
    site = sites.create_site(tenant=tenant, kind="pop", name="P", latitude=1, longitude=1)
    plan = make_plan(tenant)
    vlan = client.post("/api/v1/vlans/", {"site": site.pk, "vid": 100, "name": "f"}, format="json")
    assert vlan.status_code == 201
    dup = client.post("/api/v1/vlans/", {"site": site.pk, "vid": 100, "name": "g"}, format="json")
    assert dup.status_code == 409 and dup.json()["field"] == "vid"
    for vid in (0, 4095, "ten", 2**40):
        bad = client.post(
            "/api/v1/vlans/", {"site": site.pk, "vid": vid, "name": "g"}, format="json"
        )
        assert bad.status_code == 400 and bad.json()["field"] == "vid"
    mapped = client.post(
        "/api/v1/plan-vlans/",
        {"site": site.pk, "plan": plan.pk, "vlan": vlan.json()["id"]},
        format="json",
    )
    assert mapped.status_code == 201, mapped.json()

    sub = make_subscription(tenant)
    IPPool.objects.filter(pk=sub.pool_id).update(site=site)
    pools = client.get(f"/api/v1/sites/{site.pk}/pools/").json()
    assert (pools["site"], pools["pools"], pools["allocated"]) == (site.pk, 1, 1)


def test_another_tenants_inventory_reads_as_not_found(
    tenant: Any, make_tenant: Any, api_client_for: Any, make_subscription: Any, make_plan: Any
) -> None:
    other = make_tenant()
    site = sites.create_site(tenant=other, kind="pop", name="P", latitude=1, longitude=1)
    sector = sites.create_sector(tenant=other, site=site, name="S", azimuth=1)
    olt = devices.create_device(tenant=other, role="olt", name="O", serial="O1", password="pw")
    port = devices.create_pon_port(tenant=other, olt=olt, slot=0, port=0)
    onu = devices.create_onu(tenant=other, serial="ZTEG00000009")
    vlan = sites.create_vlan(tenant=other, site=site, vid=10, name="v")
    mapping = sites.map_plan_vlan(tenant=other, site=site, plan=make_plan(other), vlan=vlan)
    assignment = assign_onu(onu=onu, subscription=make_subscription(other))
    client = api_client_for(tenant, "admin")
    own_sub = make_subscription(tenant)
    for path, pk in [
        ("sites", site.pk),
        ("sectors", sector.pk),
        ("devices", olt.pk),
        ("pon-ports", port.pk),
        ("onus", onu.pk),
        ("vlans", vlan.pk),
        ("plan-vlans", mapping.pk),
        ("onu-assignments", assignment.pk),
    ]:
        assert client.get(f"/api/v1/{path}/{pk}/").status_code == 404, path
        assert client.patch(f"/api/v1/{path}/{pk}/", {}, format="json").status_code in (404, 405)
        assert client.get(f"/api/v1/{path}/").json()["results"] == [], path
    assert client.get(f"/api/v1/sites/{site.pk}/pools/").status_code == 404
    assert client.post(f"/api/v1/devices/{olt.pk}/reveal-password/").status_code == 404
    assert client.delete(f"/api/v1/vlans/{vlan.pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/onus/{onu.pk}/release/", {"reason": "x"}, format="json").status_code
        == 404
    )
    # Naming another tenant's rows in a body: not found, naming the field; nothing written.
    mine = devices.create_onu(tenant=tenant, serial="ZTEG0000000A")
    response = client.post(
        f"/api/v1/onus/{mine.pk}/assign/",
        {"subscription": assignment.subscription_id},
        format="json",
    )
    assert response.status_code == 404 and response.json()["field"] == "subscription"
    response = client.post(
        f"/api/v1/subscriptions/{own_sub.pk}/installation/", {"sector": sector.pk}, format="json"
    )
    assert response.status_code == 404 and response.json()["field"] == "sector"
    assert Onu.objects.get(pk=mine.pk).state == OnuState.IN_STOCK
    assert not OnuAssignment.objects.filter(onu=mine).exists()
    assert client.get("/api/v1/sites/covering/?latitude=1&longitude=1").json() == []
