"""The hotspot's captive API: guests, walled garden (and its RouterOS script),
MAC profiles, routers' secrets (shown once, rotated), sessions from radacct
in GB; another tenant's rows are 404, support reads but does not change."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.core import clock
from ispstack.core.models import AuditLog
from ispstack.hotspot.captive import services
from ispstack.hotspot.models import CaptiveUser, RouterSecret, WalledGardenEntry
from ispstack.hotspot.onboarding.services import read_report, record_lease
from ispstack.network.nas import create_nas
from ispstack.radius.models import RadAcct, RadCheck
from tests.hotspot_world import router

pytestmark = pytest.mark.django_db
BASE = "/api/v1/hotspot"


def _guest(tenant, email="a@b.net"):
    guest = services.start_sign_in(tenant=tenant, identifier=email, accept_terms=True, ip=None)
    CaptiveUser.objects.filter(pk=guest.pk).update(status="active")
    guest.refresh_from_db()
    services.set_status(user=guest, status="active", actor=None)
    return guest


def test_switching_a_guest_off_removes_its_login(api_client_for, tenant, make_tenant):
    guest = _guest(tenant)
    assert RadCheck.objects.filter(username=guest.username).exists()
    api = api_client_for(tenant)
    listed = api.get(f"{BASE}/captive-users/").json()["results"]
    assert [row["email"] for row in listed] == ["a@b.net"]
    assert "password" not in listed[0]
    answer = api.post(
        f"{BASE}/captive-users/{guest.pk}/status/", {"status": "disabled"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "disabled"
    assert not RadCheck.objects.filter(username=guest.username).exists()
    bad = api.post(f"{BASE}/captive-users/{guest.pk}/status/", {"status": "gone"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    other = api_client_for(make_tenant())
    assert other.get(f"{BASE}/captive-users/{guest.pk}/").status_code == 404
    assert (
        other.post(
            f"{BASE}/captive-users/{guest.pk}/status/", {"status": "active"}, format="json"
        ).status_code
        == 404
    )
    assert CaptiveUser.objects.get(pk=guest.pk).status == "disabled"


def test_walled_garden_through_the_api_and_its_script(api_client_for, tenant, make_tenant):
    api = api_client_for(tenant)
    nas = create_nas(tenant=tenant, nasname="10.9.8.1", shortname="r1", secret="radius-secret")
    made = api.post(
        f"{BASE}/walled-garden/", {"kind": "host", "value": "pay.example.com"}, format="json"
    )
    assert made.status_code == 201, made.content
    scoped = {"kind": "network", "value": "198.51.100.0/24", "nas": nas.pk, "comment": "bank"}
    assert api.post(f"{BASE}/walled-garden/", scoped, format="json").status_code == 201
    hostile = api.post(
        f"{BASE}/walled-garden/", {"kind": "host", "value": 'x" ; /system reset'}, format="json"
    )
    assert hostile.status_code == 400 and hostile.json()["field"] == "value"
    again = api.post(
        f"{BASE}/walled-garden/", {"kind": "host", "value": "PAY.example.com"}, format="json"
    )
    assert again.status_code == 409
    script = api.get(f"{BASE}/walled-garden/export/", {"nas": nas.pk})
    assert script.status_code == 200
    text = script.json()["script"]
    assert 'dst-host="pay.example.com"' in text and "dst-address=198.51.100.0/24" in text
    assert "198.51.100.0/24" not in api.get(f"{BASE}/walled-garden/export/").json()["script"]
    other = api_client_for(make_tenant())
    assert other.get(f"{BASE}/walled-garden/export/", {"nas": nas.pk}).status_code == 404
    assert (
        other.post(
            f"{BASE}/walled-garden/", {**scoped, "value": "203.0.113.0/24"}, format="json"
        ).status_code
        == 404
    )
    entry = WalledGardenEntry.objects.get(value="pay.example.com")
    assert other.delete(f"{BASE}/walled-garden/{entry.pk}/").status_code == 404
    assert api.delete(f"{BASE}/walled-garden/{entry.pk}/").status_code == 204
    assert WalledGardenEntry.objects.count() == 1


def test_a_routers_secret_shows_once_and_rotates(api_client_for, tenant, make_tenant):
    api = api_client_for(tenant, "noc")
    nas = create_nas(tenant=tenant, nasname="10.9.7.1", shortname="r1", secret="radius-secret")
    made = api.post(f"{BASE}/router-secrets/", {"nas": nas.pk}, format="json")
    assert made.status_code == 201, made.content
    first = made.json()["secret"]
    assert len(first) >= 40
    assert "secret" not in api.get(f"{BASE}/router-secrets/{made.json()['id']}/").json()
    assert api.post(f"{BASE}/router-secrets/", {"nas": nas.pk}, format="json").status_code == 409
    rotated = api.post(f"{BASE}/router-secrets/{made.json()['id']}/rotate/")
    assert rotated.status_code == 200 and rotated.json()["secret"] != first
    assert RouterSecret.objects.get().secret == rotated.json()["secret"]
    assert AuditLog.objects.filter(action="routersecret.rotate").count() == 1
    support = api_client_for(tenant, "support")
    assert support.get(f"{BASE}/router-secrets/").status_code == 200
    assert support.post(f"{BASE}/router-secrets/{made.json()['id']}/rotate/").status_code == 403
    other = api_client_for(make_tenant(), "noc")
    assert other.post(f"{BASE}/router-secrets/{made.json()['id']}/rotate/").status_code == 404
    assert other.post(f"{BASE}/router-secrets/", {"nas": nas.pk}, format="json").status_code == 404


def test_mac_profiles_and_mac_login(api_client_for, tenant, make_tenant):
    row = router(tenant)
    record_lease(
        router=row,
        report=read_report({"mac": "aabb.cc00.1122", "ip": "10.5.50.2", "identity": "r"}),
    )
    api = api_client_for(tenant, "noc")
    [profile] = api.get(f"{BASE}/mac-profiles/").json()["results"]
    assert profile["mac_address"] == "AA:BB:CC:00:11:22" and profile["mac_auth"] is False
    on = api.post(
        f"{BASE}/mac-profiles/{profile['id']}/mac-auth/", {"mac_auth": True}, format="json"
    )
    assert on.status_code == 200 and on.json()["mac_auth"] is True
    assert RadCheck.objects.filter(
        username="AA:BB:CC:00:11:22", attribute="Calling-Station-Id"
    ).exists()
    other = api_client_for(make_tenant(), "noc")
    assert other.get(f"{BASE}/mac-profiles/{profile['id']}/").status_code == 404


def test_sessions_of_guests_in_gb_and_not_subscribers_or_other_tenants(
    api_client_for, tenant, make_tenant, make_subscription
):
    guest = _guest(tenant)
    stranger = _guest(make_tenant(), "c@d.net")
    sub = make_subscription(tenant)
    start = clock.now() - dt.timedelta(hours=1)

    def session(username: str, uid: str, **extra):
        RadAcct.objects.create(
            acctsessionid=uid,
            acctuniqueid=uid,
            username=username,
            nasipaddress="10.9.6.1",
            acctstarttime=start,
            callingstationid="AA:BB:CC:00:11:22",
            framedipaddress="10.5.50.9",
            **extra,
        )

    session(
        guest.username,
        "g1",
        acctstoptime=start + dt.timedelta(minutes=30),
        acctsessiontime=1800,
        acctinputoctets=250_000_000,
        acctoutputoctets=1_500_000_000,
    )
    session(guest.username, "g2")
    session(stranger.username, "s1")
    session(sub.username, "p1")
    api = api_client_for(tenant, "support")
    rows = api.get(f"{BASE}/sessions/").json()["results"]
    assert sorted(r["radacctid"] for r in rows) == sorted(
        RadAcct.objects.filter(username=guest.username).values_list("radacctid", flat=True)
    )
    closed = next(r for r in rows if r["stop"])
    assert (closed["duration_seconds"], closed["input_gb"], closed["output_gb"]) == (
        1800,
        "0.250",
        "1.500",
    )
    assert closed["mac_address"] == "AA:BB:CC:00:11:22" and closed["ip_address"] == "10.5.50.9"
    open_rows = api.get(f"{BASE}/sessions/", {"open": "true", "mac": "aa-bb-cc-00-11-22"}).json()[
        "results"
    ]
    assert len(open_rows) == 1 and open_rows[0]["stop"] is None
    assert api.get(f"{BASE}/sessions/", {"mac": "nonsense"}).status_code == 400
    assert api.get(f"{BASE}/sessions/", {"nas_ip": "x"}).status_code == 400


def test_voucher_sessions_by_the_configured_username_pattern(api_client_for, tenant, settings):
    settings.HOTSPOT_VOUCHER_USERNAME_PATTERN = r"^v-{tenant}-[A-Z0-9]+$"
    for name in (f"v-{tenant.slug}-AB12", "v-other-AB12"):
        RadAcct.objects.create(
            acctsessionid=name, acctuniqueid=name, username=name, nasipaddress="10.0.0.1"
        )
    rows = api_client_for(tenant).get(f"{BASE}/sessions/").json()["results"]
    assert [r["username"] for r in rows] == [f"v-{tenant.slug}-AB12"]
