"""Hotspot logins against the real FreeRADIUS 3.2 reading our tables with its
stock queries: a device reported by its router's lease script logs in by MAC
(Access-Accept with the policy's rate), an unknown MAC or a known one from
another Calling-Station-Id is rejected; a device the policy subscribes logs
in by MAC with its plan's rate, from that MAC only; a guest verified by
code logs in with its credentials and is refused when switched off."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from ispstack.core import outbox
from ispstack.hotspot.captive import services
from ispstack.hotspot.models import CaptiveUser
from ispstack.radius.services import sync_all
from tests.hotspot_world import post_lease, router

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]
MAC = "AA:BB:CC:00:11:22"


def _mac_login(peer, mac: str, calling: str):
    return peer.request(
        "auth",
        {
            "User-Name": mac,
            "User-Password": mac,
            "Calling-Station-Id": calling,
            "NAS-IP-Address": "127.0.0.1",
        },
    )


def test_a_known_mac_is_accepted_an_unknown_rejected(freeradius, tenant):
    row = router(tenant, mac_auth=True, upload_kbps=2000, download_kbps=8000)
    answer = post_lease(
        Client(), row, {"mac": "aa:bb:cc:00:11:22", "ip": "10.5.50.2", "identity": "r1"}
    )
    assert answer.status_code == 200, answer.content
    accepted = _mac_login(freeradius, MAC, MAC)
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "2M/8M"
    assert accepted.attributes["Session-Timeout"] == "3600"
    assert _mac_login(freeradius, "AA:BB:CC:00:11:23", "AA:BB:CC:00:11:23").code == "Access-Reject"
    # The known MAC as User-Name from another device: the Calling-Station-Id check fails.
    assert _mac_login(freeradius, MAC, "AA:BB:CC:99:99:99").code == "Access-Reject"
    # The radius app's full rewrite keeps the device's rows.
    sync_all(tenant.pk)
    assert _mac_login(freeradius, MAC, MAC).code == "Access-Accept"


def test_a_subscribed_device_logs_in_with_its_plan_from_its_mac_only(
    freeradius, tenant, make_plan, make_customer
):
    plan = make_plan(tenant, upload_kbps=3000, download_kbps=30000)
    row = router(
        tenant, mac_subscription_plan=plan, mac_subscription_customer=make_customer(tenant)
    )
    answer = post_lease(
        Client(), row, {"mac": "aa:bb:cc:00:11:22", "ip": "10.5.50.2", "identity": "r1"}
    )
    assert answer.status_code == 200, answer.content
    accepted = _mac_login(freeradius, MAC, MAC)
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "3M/30M"
    assert _mac_login(freeradius, MAC, "AA:BB:CC:99:99:99").code == "Access-Reject"
    sync_all(tenant.pk)
    assert _mac_login(freeradius, MAC, MAC).code == "Access-Accept"


def test_a_verified_guest_logs_in_and_a_switched_off_one_does_not(freeradius, tenant, smtp_server):
    services.policy_for(tenant)
    guest = services.start_sign_in(
        tenant=tenant, identifier="guest@example.net", accept_terms=True, ip="10.5.50.3"
    )
    outbox.drain()
    [mail] = smtp_server.messages
    code = re.search(r"(\d{6}) is your", mail.get_payload()).group(1)
    assert freeradius.authenticate(guest.username, guest.password).code == "Access-Reject"
    assert services.verify_code(user=guest, code=code).result == "ok"
    guest = CaptiveUser.objects.get(pk=guest.pk)
    accepted = freeradius.authenticate(guest.username, guest.password)
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "5M/10M"
    assert freeradius.authenticate(guest.username, "wrong").code == "Access-Reject"
    services.set_status(user=guest, status="disabled", actor=None)
    assert freeradius.authenticate(guest.username, guest.password).code == "Access-Reject"
