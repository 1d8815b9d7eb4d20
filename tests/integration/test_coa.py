"""RFC 5176 against the FreeRADIUS peer's CoA listener (policy ``session``:
ACK only for an open radacct session): suspension sends a Disconnect, a plan
change a CoA with the new rate, an unreachable NAS is retried; and the
walled-garden suspension mode as FreeRADIUS answers it."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.core.models import Job
from ispstack.network.models import Nas
from ispstack.radius.models import CoaRequest
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import apply_plan, reconnect, suspend
from tests.peers import SECRET, free_ports

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]


def _start_session(freeradius, sub, session_id):
    assert (
        freeradius.request(
            "acct",
            {
                "User-Name": sub.username,
                "Acct-Session-Id": session_id,
                "Acct-Status-Type": "Start",
                "NAS-IP-Address": "127.0.0.1",
                "Framed-IP-Address": sub.ip_address.address,
            },
        ).code
        == "Accounting-Response"
    )


def _peer_nas(freeradius, tenant) -> Nas:
    """The peer registered as the tenant's MikroTik NAS, CoA on its CoA port."""
    return Nas.objects.create(
        tenant=tenant,
        nasname="127.0.0.1",
        shortname="peer",
        type="mikrotik",
        secret=SECRET,
        coa_port=freeradius.coa_port,
    )


def _detail(freeradius) -> str:
    path = freeradius.run_dir / "log" / "coa-requests.detail"
    return path.read_text() if path.exists() else ""


def test_suspension_disconnects_the_open_session_and_a_plan_change_sends_the_new_rate(
    freeradius, tenant, make_subscription, make_plan
):
    _peer_nas(freeradius, tenant)
    sub = make_subscription(tenant, password="pppoe-pass")
    _start_session(freeradius, sub, "coa-sess-1")

    faster = make_plan(tenant, download_kbps=100000, upload_kbps=20000)
    apply_plan(subscription=sub, plan=faster, effective=dt.date.today())  # noqa: DTZ011
    coa = CoaRequest.objects.get(kind="coa")
    assert (coa.status, coa.acct_session_id) == ("ack", "coa-sess-1")
    assert 'Mikrotik-Rate-Limit = "20M/100M"' in _detail(freeradius)

    suspend(subscription=Subscription.objects.get(pk=sub.pk), reason="non-payment")
    disconnect = CoaRequest.objects.get(kind="disconnect")
    assert (disconnect.status, disconnect.username) == ("ack", sub.username)
    detail = _detail(freeradius)
    assert detail.count('Acct-Session-Id = "coa-sess-1"') == 2
    assert "Disconnect-Request" in detail


def test_no_open_session_no_request_and_a_silent_nas_is_retried(
    freeradius, tenant, make_subscription
):
    silent_port = free_ports(1)[0]
    Nas.objects.create(
        tenant=tenant, nasname="127.0.0.1", shortname="silent", secret=SECRET, coa_port=silent_port
    )
    idle = make_subscription(tenant)
    suspend(subscription=idle, reason="admin")
    assert not CoaRequest.objects.exists()  # nobody online, nothing to disconnect

    online = make_subscription(tenant)
    _start_session(freeradius, online, "coa-sess-2")
    suspend(subscription=online, reason="admin")
    job = Job.objects.filter(kind="radius.disconnect", payload__username=online.username).get()
    assert (job.status, job.attempts) == ("pending", 1)
    assert "no answer" in job.last_error
    assert CoaRequest.objects.get(username=online.username).status == "timeout"


def test_walled_garden_mode_accepts_into_the_redirect_list(
    freeradius, make_tenant, make_subscription
):
    tenant = make_tenant(suspension_mode="walled_garden", walled_garden_address_list="unpaid")
    sub = make_subscription(tenant, password="pppoe-pass")
    suspend(subscription=sub, reason="non-payment")
    reply = freeradius.authenticate(sub.username, "pppoe-pass")
    assert reply.code == "Access-Accept"
    assert reply.attributes["Mikrotik-Address-List"] == "unpaid"
    assert "Mikrotik-Rate-Limit" not in reply.attributes
    reconnect(subscription=Subscription.objects.get(pk=sub.pk), reason="paid")
    again = freeradius.authenticate(sub.username, "pppoe-pass")
    assert "Mikrotik-Address-List" not in again.attributes
    assert again.attributes["Mikrotik-Rate-Limit"] == "10M/50M"


def test_a_cap_crossing_throttles_the_session_and_a_topup_lifts_it(
    freeradius, tenant, make_subscription, make_plan
):
    from ispstack.core import clock
    from ispstack.usage.caps import buy_topup, check_caps
    from ispstack.usage.services import rollup

    _peer_nas(freeradius, tenant)
    plan = make_plan(
        tenant,
        download_kbps=50000,
        upload_kbps=10000,
        data_cap_bytes=5 * 2**30,
        throttle_download_kbps=2000,
        throttle_upload_kbps=1000,
    )
    today = clock.today(tenant)
    sub = make_subscription(
        tenant, plan=plan, password="pppoe-pass", start_date=today, billing_day=today.day
    )
    _start_session(freeradius, sub, "cap-sess-1")
    interim = {
        "User-Name": sub.username,
        "Acct-Session-Id": "cap-sess-1",
        "Acct-Status-Type": "Interim-Update",
        "NAS-IP-Address": "127.0.0.1",
        "Acct-Input-Octets": 1000,
        "Acct-Output-Octets": 2000,
        "Acct-Output-Gigawords": 2,  # 2 x 4 GiB down: over the 5 GiB cap
    }
    assert freeradius.request("acct", interim).code == "Accounting-Response"
    rollup()
    assert check_caps(tenant=tenant, today=today)["throttled"] == 1
    coa = CoaRequest.objects.filter(kind="coa").latest("created_at")
    assert (coa.status, coa.attributes) == ("ack", {"Mikrotik-Rate-Limit": "1M/2M"})
    assert 'Mikrotik-Rate-Limit = "1M/2M"' in _detail(freeradius)
    assert (
        freeradius.authenticate(sub.username, "pppoe-pass").attributes["Mikrotik-Rate-Limit"]
        == "1M/2M"
    )

    buy_topup(subscription=Subscription.objects.get(pk=sub.pk), gigabytes="10", today=today)
    coa = CoaRequest.objects.filter(kind="coa").latest("created_at")
    assert (coa.status, coa.attributes) == ("ack", {"Mikrotik-Rate-Limit": "10M/50M"})
    last = _detail(freeradius).rsplit("Packet-Type = CoA-Request", 1)[-1]
    assert 'Mikrotik-Rate-Limit = "10M/50M"' in last
    assert (
        freeradius.authenticate(sub.username, "pppoe-pass").attributes["Mikrotik-Rate-Limit"]
        == "10M/50M"
    )


def test_a_nas_that_acks_a_disconnect_but_keeps_the_session_is_retried_then_flagged(
    freeradius, tenant, make_subscription, settings
):
    """The peer's CoA policy ACKs a Disconnect for an open session and leaves
    radacct alone: exactly a NAS that ACKs and keeps the session."""
    from ispstack.core import clock, outbox

    settings.RADIUS_DISCONNECT_ATTEMPTS = 2
    _peer_nas(freeradius, tenant)
    kept = make_subscription(tenant, password="pppoe-pass")
    _start_session(freeradius, kept, "kept-1")
    suspend(subscription=kept, reason="non-payment")

    def verify_now() -> None:
        Job.objects.filter(kind="radius.verify_disconnect", status="pending").update(
            next_attempt_at=clock.now()
        )
        outbox.run_due_jobs()

    first = CoaRequest.objects.get(username=kept.username)
    assert (first.status, first.session_closed) == ("ack", None)  # checked later, not now
    verify_now()
    assert CoaRequest.objects.filter(username=kept.username, kind="disconnect").count() == 2
    verify_now()
    last = CoaRequest.objects.filter(username=kept.username).latest("created_at")
    assert last.session_closed is False
    assert "stayed open after 2" in last.error

    gone = make_subscription(tenant, password="pppoe-pass")
    _start_session(freeradius, gone, "gone-1")
    suspend(subscription=gone, reason="non-payment")
    stop = {
        "User-Name": gone.username,
        "Acct-Session-Id": "gone-1",
        "Acct-Status-Type": "Stop",
        "NAS-IP-Address": "127.0.0.1",
        "Acct-Terminate-Cause": "Admin-Reset",
    }
    assert freeradius.request("acct", stop).code == "Accounting-Response"
    verify_now()
    assert CoaRequest.objects.get(username=gone.username).session_closed is True
