"""MAC onboarding by a router's DHCP lease script: a signed report makes or
updates the device's MAC profile; a wrong secret, a stale timestamp or an
unknown key is 401, a bad field 400 naming it, and neither writes anything;
a flood from one router is 429; a token is accepted only where the router's
row allows it; MAC authentication rows and a subscription per device follow
the tenant's policy."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError

from ispstack.core.errors import Conflict
from ispstack.core.models import AuditLog
from ispstack.hotspot.models import CaptiveUser, HotspotPolicy, MacProfile
from ispstack.hotspot.onboarding.mac import normalise_mac
from ispstack.hotspot.onboarding.services import set_mac_auth
from ispstack.radius.models import RadCheck, RadReply, RadUserGroup
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from tests.hotspot_world import URL, post_lease, router

pytestmark = pytest.mark.django_db
LEASE = {"mac": "aa-bb-cc-00-11-22", "ip": "10.5.50.23", "hostname": "Pixel-7", "identity": "hs-1"}


def test_a_signed_report_makes_then_updates_the_profile(client, tenant):
    row = router(tenant)
    first = post_lease(client, row, LEASE)
    assert first.status_code == 200, first.content
    profile = MacProfile.objects.get(tenant=tenant)
    assert profile.mac_address == "AA:BB:CC:00:11:22"
    assert (profile.last_ip, profile.hostname, profile.nas_id) == (
        "10.5.50.23",
        "Pixel-7",
        row.nas_id,
    )
    seen = profile.first_seen
    again = post_lease(client, row, {**LEASE, "ip": "10.5.50.99", "hostname": ""}, as_json=True)
    assert again.status_code == 200
    profile.refresh_from_db()
    assert profile.last_ip == "10.5.50.99" and profile.first_seen == seen
    assert MacProfile.objects.count() == 1
    assert not RadCheck.objects.exists()  # the policy allows no MAC login


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "old timestamp", "future timestamp", "unknown key", "no signature", "token"],
)
def test_unauthenticated_reports_are_401_and_write_nothing(client, tenant, how):
    row = router(tenant)
    if how == "wrong secret":
        answer = post_lease(client, row, LEASE, secret="not-the-secret")
    elif how == "old timestamp":
        answer = post_lease(client, row, LEASE, timestamp=int(time.time()) - 301)
    elif how == "future timestamp":
        answer = post_lease(client, row, LEASE, timestamp=int(time.time()) + 400)
    elif how == "unknown key":
        row.key_id = "0000000000000000"
        answer = post_lease(client, row, LEASE)
    elif how == "no signature":
        answer = client.post(
            URL,
            data="mac=aa:bb:cc:00:11:22&ip=10.0.0.2&identity=x",
            content_type="application/x-www-form-urlencoded",
            headers={"X-Ispstack-Key": row.key_id, "X-Ispstack-Timestamp": str(int(time.time()))},
        )
    else:  # the secret as a token, which this router's row does not allow
        answer = client.post(
            URL,
            data="mac=aa:bb:cc:00:11:22&ip=10.0.0.2&identity=x",
            content_type="application/x-www-form-urlencoded",
            headers={
                "X-Ispstack-Key": row.key_id,
                "X-Ispstack-Timestamp": str(int(time.time())),
                "X-Ispstack-Token": row.secret,
            },
        )
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert not MacProfile.objects.exists()


def test_a_signed_body_changed_on_the_way_is_refused(client, tenant):
    row = router(tenant)
    stamp = str(int(time.time()))
    from ispstack.hotspot.onboarding.signing import signature

    signed = b"mac=aa:bb:cc:00:11:22&ip=10.0.0.2&identity=x"
    answer = client.post(
        URL,
        data=b"mac=aa:bb:cc:00:11:23&ip=10.0.0.2&identity=x",
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Ispstack-Key": row.key_id,
            "X-Ispstack-Timestamp": stamp,
            "X-Ispstack-Signature": signature(row.secret, stamp, signed),
        },
    )
    assert answer.status_code == 401 and not MacProfile.objects.exists()


def test_the_token_works_only_where_allowed_and_fresh(client, tenant):
    row = router(tenant)
    row.allow_token = True
    row.save()
    headers = {"X-Ispstack-Key": row.key_id, "X-Ispstack-Token": row.secret}
    body = "mac=AA:BB:CC:00:11:22&ip=10.0.0.2&identity=hs-1"
    kind = "application/x-www-form-urlencoded"
    stale = {**headers, "X-Ispstack-Timestamp": str(int(time.time()) - 1000)}
    assert client.post(URL, data=body, content_type=kind, headers=stale).status_code == 401
    fresh = {**headers, "X-Ispstack-Timestamp": str(int(time.time()))}
    assert client.post(URL, data=body, content_type=kind, headers=fresh).status_code == 200
    assert MacProfile.objects.filter(mac_address="AA:BB:CC:00:11:22").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({**LEASE, "mac": "aa:bb:cc:dd:ee"}, "mac"),
        ({**LEASE, "mac": "<script>"}, "mac"),
        ({**LEASE, "mac": "12345"}, "mac"),
        ({**LEASE, "mac": "aa:bb:cc:dd:ee:ff:00:11"}, "mac"),
        ({k: v for k, v in LEASE.items() if k != "mac"}, "mac"),
        ({k: v for k, v in LEASE.items() if k != "ip"}, "ip"),
        ({**LEASE, "ip": "10.0.0.256"}, "ip"),
        ({**LEASE, "ip": "2001:db8::1"}, "ip"),
        ({k: v for k, v in LEASE.items() if k != "identity"}, "identity"),
        ({**LEASE, "hostname": "x" * 256}, "hostname"),
        ({**LEASE, "hostname": "evil\nhost"}, "hostname"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_write_nothing(client, tenant, fields, field):
    row = router(tenant, mac_auth=True, mac_create_captive_user=True)
    answer = post_lease(client, row, fields)
    assert answer.status_code == 400, answer.content
    assert answer.json()["field"] == field
    assert not MacProfile.objects.exists() and not CaptiveUser.objects.exists()
    assert not RadCheck.objects.exists()


def test_a_body_that_is_not_json_is_400(client, tenant):
    row = router(tenant)
    stamp = str(int(time.time()))
    from ispstack.hotspot.onboarding.signing import signature

    body = b"{not json"
    answer = client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-Ispstack-Key": row.key_id,
            "X-Ispstack-Timestamp": stamp,
            "X-Ispstack-Signature": signature(row.secret, stamp, body),
        },
    )
    assert answer.status_code == 400 and answer.json()["field"] == "body"


def test_only_post_is_served(client):
    assert client.get(URL).status_code == 405


def test_a_flood_from_one_router_is_429_and_other_routers_go_on(client, make_tenant, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "hotspot_onboarding": "3/minute"}
    from django.core.cache import cache

    cache.clear()
    first, second = router(make_tenant()), router(make_tenant())
    codes = [post_lease(client, first, LEASE).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert post_lease(client, second, LEASE).status_code == 200


def test_the_policy_gives_mac_login_and_a_captive_user(client, tenant):
    row = router(tenant, mac_auth=True, mac_create_captive_user=True, upload_kbps=2000)
    assert post_lease(client, row, LEASE).status_code == 200
    profile = MacProfile.objects.get()
    assert profile.mac_auth and profile.captive_user is not None
    checks = dict(
        RadCheck.objects.filter(username="AA:BB:CC:00:11:22").values_list("attribute", "value")
    )
    assert checks == {
        "Cleartext-Password": "AA:BB:CC:00:11:22",
        "Calling-Station-Id": "AA:BB:CC:00:11:22",
        "Simultaneous-Use": "1",
    }
    rate = RadReply.objects.get(username="AA:BB:CC:00:11:22", attribute="Mikrotik-Rate-Limit")
    assert rate.value == "2M/10M"
    guest = profile.captive_user
    assert RadCheck.objects.filter(username=guest.username, attribute="Cleartext-Password").exists()
    # A second report makes no second guest.
    assert post_lease(client, row, LEASE).status_code == 200
    assert CaptiveUser.objects.count() == 1


def test_a_mac_another_tenant_logs_in_with_gets_no_second_login(client, make_tenant):
    one, two = router(make_tenant(), mac_auth=True), router(make_tenant(), mac_auth=True)
    assert post_lease(client, one, LEASE).status_code == 200
    assert post_lease(client, two, LEASE).status_code == 200
    assert MacProfile.objects.get(tenant=one.tenant).mac_auth is True
    assert MacProfile.objects.get(tenant=two.tenant).mac_auth is False
    assert set(RadCheck.objects.values_list("tenant_id", flat=True)) == {one.tenant_id}


@pytest.mark.parametrize(
    "text", ["aa:bb:cc:00:11:22", "AA-BB-CC-00-11-22", "aabb.cc00.1122", "aabbcc001122"]
)
def test_mac_notations_are_read_as_routeros_writes_them(text):
    assert normalise_mac(text) == "AA:BB:CC:00:11:22"


def test_the_policy_subscribes_a_new_device_to_its_plan_once(
    client, tenant, make_plan, make_customer
):
    plan, venue = make_plan(tenant, code="room"), make_customer(tenant, name="Hotel Ocean")
    row = router(tenant, mac_auth=True, mac_subscription_plan=plan, mac_subscription_customer=venue)
    assert post_lease(client, row, LEASE).status_code == 200
    sub = Subscription.objects.get()
    assert (sub.customer, sub.plan, sub.status) == (venue, plan, SubscriptionStatus.ACTIVE)
    assert sub.username == sub.password == "AA:BB:CC:00:11:22"
    profile = MacProfile.objects.get()
    assert profile.subscription == sub and profile.mac_auth is False
    checks = dict(RadCheck.objects.filter(username=sub.username).values_list("attribute", "value"))
    # The subscription's rows, tied to the MAC; not the policy's Simultaneous-Use.
    assert checks == {
        "Cleartext-Password": "AA:BB:CC:00:11:22",
        "Calling-Station-Id": "AA:BB:CC:00:11:22",
    }
    assert RadUserGroup.objects.get(username=sub.username).groupname.endswith("/room/mikrotik")
    assert AuditLog.objects.filter(action="subscription.activate", actor_label="mac onboarding")
    assert post_lease(client, row, {**LEASE, "ip": "10.5.50.77"}).status_code == 200
    assert Subscription.objects.count() == 1
    with pytest.raises(Conflict) as refused:
        set_mac_auth(profile=profile, enabled=True, actor=None)
    assert refused.value.field == "mac_auth"


def test_a_device_with_a_hotspot_login_moves_to_its_subscription(
    client, tenant, make_plan, make_customer
):
    row = router(tenant, mac_auth=True)
    assert post_lease(client, row, LEASE).status_code == 200
    assert RadCheck.objects.filter(attribute="Simultaneous-Use").exists()
    HotspotPolicy.objects.filter(tenant=tenant).update(
        mac_subscription_plan=make_plan(tenant), mac_subscription_customer=make_customer(tenant)
    )
    assert post_lease(client, row, LEASE).status_code == 200
    profile = MacProfile.objects.get()
    assert profile.subscription is not None and profile.mac_auth is False
    attributes = set(RadCheck.objects.values_list("attribute", flat=True))
    assert attributes == {"Cleartext-Password", "Calling-Station-Id"}


def test_no_subscription_where_the_mac_is_taken_or_the_plan_not_sold(
    client, make_tenant, make_plan, make_customer, make_subscription
):
    other = make_tenant()
    make_subscription(other, username="AA:BB:CC:00:11:22")
    tenant = make_tenant()
    plan = make_plan(tenant)
    row = router(
        tenant, mac_subscription_plan=plan, mac_subscription_customer=make_customer(tenant)
    )
    assert post_lease(client, row, LEASE).status_code == 200
    assert MacProfile.objects.get(tenant=tenant).subscription is None
    assert not Subscription.objects.filter(tenant=tenant).exists()
    # A plan no longer sold: the report is kept, the device gets no subscription.
    plan.is_active = False
    plan.save()
    assert post_lease(client, row, {**LEASE, "mac": "aa:bb:cc:00:11:99"}).status_code == 200
    assert MacProfile.objects.filter(tenant=tenant).count() == 2
    assert not Subscription.objects.filter(tenant=tenant).exists()


def test_the_policy_names_both_plan_and_account_of_its_own_tenant(
    make_tenant, make_plan, make_customer
):
    tenant, other = make_tenant(), make_tenant()
    policy = HotspotPolicy(tenant=tenant, mac_subscription_plan=make_plan(tenant))
    with pytest.raises(ValidationError) as half:
        policy.full_clean()
    assert "mac_subscription_customer" in half.value.message_dict
    policy.mac_subscription_customer = make_customer(other)
    with pytest.raises(ValidationError) as foreign:
        policy.full_clean()
    assert "mac_subscription_customer" in foreign.value.message_dict
    policy.mac_subscription_customer = make_customer(tenant)
    policy.full_clean()


def test_an_admin_sets_the_device_plan_and_account_in_the_policy(
    client, make_tenant, make_plan, make_customer, make_staff
):
    tenant, other = make_tenant(), make_tenant()
    plan, venue = make_plan(tenant, name="Room Wi-Fi"), make_customer(tenant, name="Hotel Ocean")
    foreign_plan = make_plan(other, name="Their Plan")
    policy = HotspotPolicy.objects.create(tenant=tenant)
    client.force_login(make_staff(tenant, "admin"))
    url = f"/admin/hotspot/hotspotpolicy/{policy.pk}/change/"
    form = client.get(url).content.decode()
    assert "Room Wi-Fi" in form and "Their Plan" not in form and "Hotel Ocean" not in form
    fields = {
        "session_timeout": 3600,
        "idle_timeout": 900,
        "upload_kbps": 5000,
        "download_kbps": 10000,
        "simultaneous_use": 1,
        "registration_open": "on",
        "terms_version": "1",
    }
    half = client.post(url, {**fields, "mac_subscription_plan": plan.pk})
    assert half.status_code == 200 and "Give both the plan and the account" in half.content.decode()
    stolen = client.post(
        url,
        {**fields, "mac_subscription_plan": foreign_plan.pk, "mac_subscription_customer": venue.pk},
    )
    assert stolen.status_code == 200 and "Select a valid choice" in stolen.content.decode()
    saved = client.post(
        url, {**fields, "mac_subscription_plan": plan.pk, "mac_subscription_customer": venue.pk}
    )
    assert saved.status_code == 302
    policy.refresh_from_db()
    assert (policy.mac_subscription_plan, policy.mac_subscription_customer) == (plan, venue)
