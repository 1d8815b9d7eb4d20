"""The console's hotspot screens: guests switched off in bulk, devices with
the account a subscribed one is billed to, the
walled garden (add, refuse a bad value at its field, remove, download the
script), routers' secrets shown once and rotated, sessions with MAC, NAS,
duration and GB; another tenant's rows never show; support reads only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from ispstack.core import clock
from ispstack.hotspot.captive import services
from ispstack.hotspot.models import CaptiveUser, RouterSecret, WalledGardenEntry
from ispstack.network.nas import create_nas
from ispstack.radius.models import RadAcct, RadCheck
from tests.console_export import exported
from tests.hotspot_world import post_lease, router

pytestmark = pytest.mark.django_db


def _staff(client: Client, make_staff, tenant, role="noc") -> Client:
    client.force_login(make_staff(tenant, role))
    return client


def _active_guest(tenant, email):
    guest = services.start_sign_in(tenant=tenant, identifier=email, accept_terms=True, ip=None)
    return services.set_status(user=guest, status="active", actor=None)


def test_guests_list_and_bulk_switch_off(client, make_staff, tenant, make_tenant):
    mine = _active_guest(tenant, "mine@example.net")
    _active_guest(make_tenant(), "theirs@example.net")
    _staff(client, make_staff, tenant)
    page = client.get("/staff/hotspot/guests/").content.decode()
    assert "mine@example.net" in page and "theirs@example.net" not in page
    done = client.post(
        "/staff/hotspot/guests/", {"action": "disable", "pk": [mine.pk], "confirm": "1"}
    )
    assert done.status_code in (200, 302)
    assert CaptiveUser.objects.get(pk=mine.pk).status == "disabled"
    assert not RadCheck.objects.filter(username=mine.username).exists()


def test_devices_show_the_account_a_subscribed_one_is_billed_to(
    client, make_staff, tenant, make_plan, make_customer
):
    venue = make_customer(tenant, name="Hotel Ocean")
    row = router(tenant, mac_subscription_plan=make_plan(tenant), mac_subscription_customer=venue)
    lease = {"mac": "aa:bb:cc:00:11:22", "ip": "10.5.50.2", "identity": "r1"}
    assert post_lease(Client(), row, lease).status_code == 200
    _staff(client, make_staff, tenant, "support")
    page = client.get("/staff/hotspot/devices/").content.decode()
    assert "AA:BB:CC:00:11:22" in page and "Hotel Ocean" in page
    assert f"/staff/customers/{venue.pk}/" in page
    assert "Hotel Ocean" in exported(client, "/staff/hotspot/devices/", "csv").decode()


def test_walled_garden_screen(client, make_staff, tenant, make_tenant):
    nas = create_nas(tenant=tenant, nasname="10.9.5.1", shortname="r1", secret="radius-secret")
    foreign = create_nas(
        tenant=make_tenant(), nasname="10.9.5.2", shortname="theirs", secret="radius-secret"
    )
    _staff(client, make_staff, tenant)
    added = client.post(
        "/staff/hotspot/walled-garden/", {"kind": "host", "value": "pay.example.com", "nas": nas.pk}
    )
    assert added.status_code == 302
    bad = client.post("/staff/hotspot/walled-garden/", {"kind": "network", "value": "10.0.0.1/8"})
    assert bad.status_code == 400 and "not an IP network" in bad.content.decode()
    stolen = client.post(
        "/staff/hotspot/walled-garden/", {"kind": "host", "value": "x.example", "nas": foreign.pk}
    )
    assert stolen.status_code == 400
    assert list(WalledGardenEntry.objects.values_list("value", flat=True)) == ["pay.example.com"]
    page = client.get("/staff/hotspot/walled-garden/").content.decode()
    assert "pay.example.com" in page and "theirs" not in page
    script = client.get("/staff/hotspot/walled-garden/export/", {"nas": nas.pk})
    assert script.status_code == 200 and 'dst-host="pay.example.com"' in script.content.decode()
    assert "attachment" in script["Content-Disposition"]
    assert (
        client.get("/staff/hotspot/walled-garden/export/", {"nas": foreign.pk}).status_code == 404
    )
    entry = WalledGardenEntry.objects.get()
    assert client.post("/staff/hotspot/walled-garden/", {"remove": entry.pk}).status_code == 302
    assert not WalledGardenEntry.objects.exists()


def test_router_secrets_show_once_and_rotate(client, make_staff, tenant):
    nas = create_nas(tenant=tenant, nasname="10.9.4.1", shortname="r1", secret="radius-secret")
    _staff(client, make_staff, tenant)
    made = client.post("/staff/hotspot/routers/", {"nas": nas.pk})
    row = RouterSecret.objects.get()
    assert made.status_code == 200 and row.secret in made.content.decode()
    assert row.secret not in client.get("/staff/hotspot/routers/").content.decode()
    rotated = client.post("/staff/hotspot/routers/", {"rotate": row.pk})
    row.refresh_from_db()
    assert rotated.status_code == 200 and row.secret in rotated.content.decode()


def test_support_reads_but_does_not_change(client, make_staff, tenant):
    nas = create_nas(tenant=tenant, nasname="10.9.3.1", shortname="r1", secret="radius-secret")
    _staff(client, make_staff, tenant, "support")
    assert client.get("/staff/hotspot/walled-garden/").status_code == 200
    refused = client.post("/staff/hotspot/walled-garden/", {"kind": "host", "value": "a.example"})
    assert refused.status_code == 403
    assert client.post("/staff/hotspot/routers/", {"nas": nas.pk}).status_code == 403
    assert not WalledGardenEntry.objects.exists() and not RouterSecret.objects.exists()


def test_billing_sees_no_hotspot_screen(client, make_staff, tenant):
    _staff(client, make_staff, tenant, "billing")
    for url in ("guests/", "devices/", "walled-garden/", "routers/", "sessions/"):
        assert client.get(f"/staff/hotspot/{url}").status_code == 403


def test_sessions_screen(client, make_staff, tenant):
    guest = _active_guest(tenant, "a@example.net")
    create_nas(tenant=tenant, nasname="10.9.2.1", shortname="lobby", secret="radius-secret")
    start = clock.now() - dt.timedelta(hours=2)
    RadAcct.objects.create(
        acctsessionid="s1",
        acctuniqueid="s1",
        username=guest.username,
        nasipaddress="10.9.2.1",
        acctstarttime=start,
        acctstoptime=start + dt.timedelta(minutes=90),
        acctsessiontime=5400,
        callingstationid="AA:BB:CC:00:11:22",
        framedipaddress="10.5.50.7",
        acctinputoctets=1_200_000_000,
        acctoutputoctets=3_400_000_000,
    )
    RadAcct.objects.create(
        acctsessionid="x", acctuniqueid="x", username="someone-else", nasipaddress="10.9.2.1"
    )
    _staff(client, make_staff, tenant, "support")
    page = client.get("/staff/hotspot/sessions/").content.decode()
    assert "AA:BB:CC:00:11:22" in page and "lobby" in page and "10.5.50.7" in page
    assert "1.2\u00a0GB" in page and "3.4\u00a0GB" in page
    assert "someone-else" not in page
    assert client.get("/staff/hotspot/sessions/", {"mac": "zz"}).status_code == 400
    filtered = client.get("/staff/hotspot/sessions/", {"mac": "aa-bb-cc-00-11-23"})
    assert "AA:BB:CC:00:11:22" not in filtered.content.decode()
