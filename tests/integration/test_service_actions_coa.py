"""CoA and Disconnect on the service action log, against the FreeRADIUS
peer's CoA listener: an acknowledged request is ``ok`` with who asked; a NAS
that never answers is ``failed`` with the timeout, on each attempt."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.network.models import Nas
from ispstack.radius.services import disconnect
from ispstack.subscriptions.models import ServiceAction, Subscription
from ispstack.subscriptions.services import apply_plan, suspend
from tests.peers import SECRET, free_ports

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]


def _start_session(freeradius, sub, session_id):
    reply = freeradius.request(
        "acct",
        {
            "User-Name": sub.username,
            "Acct-Session-Id": session_id,
            "Acct-Status-Type": "Start",
            "NAS-IP-Address": "127.0.0.1",
            "Framed-IP-Address": sub.ip_address.address,
        },
    )
    assert reply.code == "Accounting-Response"


def _network_actions(sub):
    return list(
        ServiceAction.objects.filter(subscription=sub, action__in=["coa", "disconnect"])
        .order_by("id")
        .values_list("action", "actor_kind", "actor_label", "reason", "result", "message")
    )


def test_acknowledged_coa_and_disconnect_are_ok_with_who_asked(
    freeradius, tenant, make_subscription, make_plan, make_staff
):
    Nas.objects.create(
        tenant=tenant,
        nasname="127.0.0.1",
        shortname="peer",
        type="mikrotik",
        secret=SECRET,
        coa_port=freeradius.coa_port,
    )
    sub = make_subscription(tenant)
    _start_session(freeradius, sub, "sa-sess-1")
    apply_plan(
        subscription=sub,
        plan=make_plan(tenant, download_kbps=100000, upload_kbps=20000),
        effective=dt.date(2026, 3, 1),
    )
    clerk = make_staff(tenant, "noc")
    disconnect(subscription=sub, actor=clerk, reason="router swap")

    assert _network_actions(sub) == [
        ("coa", "system", "radius.coa", "plan change", "ok", ""),
        ("disconnect", "staff", clerk.username, "router swap", "ok", ""),
    ]


def test_a_nas_that_never_answers_is_a_failed_action(freeradius, tenant, make_subscription):
    silent_port = free_ports(1)[0]
    Nas.objects.create(
        tenant=tenant, nasname="127.0.0.1", shortname="silent", secret=SECRET, coa_port=silent_port
    )
    sub = make_subscription(tenant)
    _start_session(freeradius, sub, "sa-sess-2")
    suspend(subscription=sub, reason="non-payment", actor="collections")

    [(action, kind, label, reason, result, message)] = _network_actions(
        Subscription.objects.get(pk=sub.pk)
    )
    assert (action, kind, label, result) == ("disconnect", "system", "radius.disconnect", "failed")
    assert reason == "suspend"
    assert message == f"No answer: no answer from 127.0.0.1:{silent_port}"
