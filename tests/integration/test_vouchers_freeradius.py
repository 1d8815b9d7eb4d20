"""Prepaid vouchers against a real FreeRADIUS 3.2 reading our tables with its
stock queries: sold -> Access-Accept with the plan's attributes, accounting
shrinks what is left, expiry -> Access-Reject with a Reply-Message; a device
guessing codes is locked out, after as many failures as the tenant of the
NAS allows (never, where it set 0)."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.hotspot.models import Voucher, VoucherSettings, VoucherState
from ispstack.hotspot.vouchers import services
from ispstack.network.nas import create_nas
from ispstack.radius.models import RadCheck, RadReply
from tests.conftest import tenant_tax

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]

GIB = 2**30


def _plan(tenant, **overrides):
    values = {
        "code": "day-pass",
        "name": "Day pass",
        "duration_seconds": 3600,
        "duration_start": "first_login",
        "data_limit_bytes": 5 * GIB,
        "download_kbps": 8192,
        "upload_kbps": 2048,
        "simultaneous_use": 1,
        "price": "2.50",
        "tax_rate": tenant_tax(tenant, "19"),
    }
    values.update(overrides)
    return services.create_plan(tenant=tenant, **values)


def _acct(freeradius, code, status, *, session, seconds=0, octets_in=0, giga_in=0, octets_out=0):
    return freeradius.request(
        "acct",
        {
            "User-Name": code,
            "Acct-Session-Id": session,
            "NAS-IP-Address": "127.0.0.1",
            "Calling-Station-Id": "AA-BB-CC-00-00-01",
            "Acct-Status-Type": status,
            "Acct-Session-Time": seconds,
            "Acct-Input-Octets": octets_in,
            "Acct-Input-Gigawords": giga_in,
            "Acct-Output-Octets": octets_out,
            "Acct-Output-Gigawords": 0,
        },
    ).code


def test_voucher_sold_used_and_expired_as_freeradius_sees_them(freeradius, tenant):
    batch = services.generate_batch(tenant=tenant, plan=_plan(tenant), count=3, prefix="HS")
    first, unsold, _ = Voucher.objects.filter(batch=batch).order_by("id")
    assert services.sell_batch(batch=batch, count=1) == 1

    assert freeradius.authenticate(unsold.code, unsold.code).code == "Access-Reject"
    accepted = freeradius.authenticate(first.code, first.code)
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "2048k/8192k"
    assert accepted.attributes["Session-Timeout"] == "3600"
    # 5 GiB = 1 x 2^32 + 2^30 (MikroTik's limit and its gigawords).
    assert accepted.attributes["Mikrotik-Total-Limit"] == str(GIB)
    assert accepted.attributes["Mikrotik-Total-Limit-Gigawords"] == "1"
    assert freeradius.authenticate(first.code, "WRONG").code == "Access-Reject"

    assert _acct(freeradius, first.code, "Start", session="v-1") == "Accounting-Response"
    voucher = Voucher.objects.get(pk=first.pk)
    assert voucher.state == VoucherState.USED
    assert voucher.first_login_at is not None
    assert voucher.expires_at == voucher.first_login_at + dt.timedelta(seconds=3600)
    # One device at once: the open session fills the only place.
    assert freeradius.authenticate(first.code, first.code).code == "Access-Reject"

    stop = _acct(
        freeradius,
        first.code,
        "Stop",
        session="v-1",
        seconds=600,
        octets_in=1000,
        giga_in=1,
        octets_out=500,
    )
    assert stop == "Accounting-Response"
    voucher = Voucher.objects.get(pk=first.pk)
    assert (voucher.used_seconds, voucher.used_bytes) == (600, 2**32 + 1500)
    again = freeradius.authenticate(first.code, first.code)
    assert again.code == "Access-Accept"
    assert again.attributes["Mikrotik-Total-Limit"] == str(GIB - 1500)
    assert "Mikrotik-Total-Limit-Gigawords" not in again.attributes
    # rlm_expiration lowers Session-Timeout to the time left of the hour.
    assert 3000 < int(again.attributes["Session-Timeout"]) <= 3600
    assert set(
        RadReply.objects.filter(username=first.code).values_list("attribute", flat=True)
    ) == {"Acct-Interim-Interval", "Mikrotik-Rate-Limit", "Mikrotik-Total-Limit"}

    assert services.sweep(tenant=tenant, as_of=voucher.expires_at + dt.timedelta(seconds=1)) == 1
    voucher = Voucher.objects.get(pk=first.pk)
    assert voucher.state == VoucherState.EXPIRED
    assert voucher.expired_reason == "validity over"
    rejected = freeradius.authenticate(first.code, first.code)
    assert rejected.code == "Access-Reject"
    assert rejected.attributes["Reply-Message"] == "Voucher expired: validity over"
    assert RadCheck.objects.get(username=first.code, attribute="Auth-Type").value == "Reject"


def test_data_used_up_in_an_interim_update_expires_the_voucher(freeradius, tenant):
    plan = _plan(tenant, code="small", data_limit_bytes=10_000, duration_start="creation")
    batch = services.generate_batch(tenant=tenant, plan=plan, count=1)
    services.sell_batch(batch=batch)
    code = Voucher.objects.get(batch=batch).code
    accepted = freeradius.authenticate(code, code)
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Mikrotik-Total-Limit"] == "10000"

    _acct(freeradius, code, "Start", session="v-2")
    _acct(freeradius, code, "Interim-Update", session="v-2", seconds=60, octets_out=10_000)
    voucher = Voucher.objects.get(batch=batch)
    assert (voucher.state, voucher.expired_reason) == (VoucherState.EXPIRED, "data used up")
    _acct(freeradius, code, "Stop", session="v-2", seconds=61, octets_out=10_200)
    rejected = freeradius.authenticate(code, code)
    assert rejected.code == "Access-Reject"
    assert rejected.attributes["Reply-Message"] == "Voucher expired: data used up"


def _login(freeradius, username, mac):
    return freeradius.request(
        "auth",
        {
            "User-Name": username,
            "User-Password": username,
            "NAS-IP-Address": "127.0.0.1",
            "Calling-Station-Id": mac,
        },
    )


def _sold_code(tenant):
    batch = services.generate_batch(tenant=tenant, plan=_plan(tenant), count=1)
    services.sell_batch(batch=batch)
    return Voucher.objects.get(batch=batch).code


def test_a_device_guessing_codes_is_locked_out(freeradius, tenant):
    code = _sold_code(tenant)

    def login(username, mac):
        return _login(freeradius, username, mac)

    guesser, other = "AA-BB-CC-00-00-0A", "AA-BB-CC-00-00-0B"
    for n in range(5):
        assert login(f"HSGUESS{n}", guesser).code == "Access-Reject"
    locked = login(code, guesser)
    assert locked.code == "Access-Reject"
    assert "Too many failed logins" in locked.attributes["Reply-Message"]
    assert login(code, other).code == "Access-Accept"


@pytest.mark.parametrize(("failures", "locked_after"), [(2, 2), (0, None)])
def test_the_lockout_follows_the_limits_of_the_nas_tenant(
    freeradius, tenant, failures, locked_after
):
    create_nas(tenant=tenant, nasname="127.0.0.1", shortname="lobby", secret="radius-secret")
    VoucherSettings.objects.filter(tenant=tenant).update(
        lockout_failures=failures, lockout_minutes=5
    )
    code, guesser = _sold_code(tenant), "AA-BB-CC-00-00-0C"
    for n in range(6):
        answer = _login(freeradius, f"HSGUESS{n}", guesser)
        assert answer.code == "Access-Reject"
        locked = "Too many failed logins" in answer.attributes.get("Reply-Message", "")
        assert locked == (locked_after is not None and n >= locked_after), n
    assert (_login(freeradius, code, guesser).code == "Access-Accept") == (locked_after is None)
