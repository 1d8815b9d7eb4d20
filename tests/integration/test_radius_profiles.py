"""Plans as RADIUS groups, seen through a real FreeRADIUS 3.2 with its stock
queries: the plan's group replies, the vendor attributes of the subscriber's
NAS type, per-user radreply overrides that win over the group, blocks."""

from __future__ import annotations

import pytest

from ispstack.catalog.services import update_plan
from ispstack.network.models import Nas
from ispstack.radius.models import RadReply
from ispstack.radius.services import set_access_block, set_rate_override
from ispstack.subscriptions.access import change_access
from ispstack.subscriptions.models import Subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]


def _nas(tenant, kind: str, address: str) -> Nas:
    return Nas.objects.create(
        tenant=tenant, nasname=address, shortname=kind, type=kind, secret="nas-secret-1"
    )


def test_plan_group_reply_reaches_the_subscriber_and_user_overrides_win(
    freeradius, tenant, make_plan, make_subscription
):
    plan = make_plan(
        tenant,
        download_kbps=50000,
        upload_kbps=10000,
        session_timeout=3600,
        idle_timeout=600,
        acct_interim_interval=120,
    )
    sub = make_subscription(
        tenant,
        plan=plan,
        password="pppoe-pass",
        framed_ipv6_prefix="2001:db8:1:1::/64",
        delegated_ipv6_prefix="2001:db8:100:100::/56",
    )
    # The rate is the group's: nothing per user but addresses.
    assert set(
        RadReply.objects.filter(username=sub.username).values_list("attribute", flat=True)
    ) == {
        "Framed-IP-Address",
        "Framed-IPv6-Prefix",
        "Delegated-IPv6-Prefix",
    }
    reply = freeradius.authenticate(sub.username, "pppoe-pass")
    assert reply.code == "Access-Accept"
    assert {
        k: reply.attributes[k]
        for k in (
            "Mikrotik-Rate-Limit",
            "Session-Timeout",
            "Idle-Timeout",
            "Acct-Interim-Interval",
            "Framed-IPv6-Prefix",
            "Delegated-IPv6-Prefix",
        )
    } == {
        "Mikrotik-Rate-Limit": "10M/50M",
        "Session-Timeout": "3600",
        "Idle-Timeout": "600",
        "Acct-Interim-Interval": "120",
        "Framed-IPv6-Prefix": "2001:db8:1:1::/64",
        "Delegated-IPv6-Prefix": "2001:db8:100:100::/56",
    }

    set_rate_override(subscription=sub, upload_kbps=512, download_kbps=1024, reason="fair use")
    throttled = freeradius.authenticate(sub.username, "pppoe-pass")
    assert throttled.attributes["Mikrotik-Rate-Limit"] == "512k/1024k"
    assert throttled.attributes["Session-Timeout"] == "3600"  # the rest still comes from the group
    set_rate_override(subscription=sub, upload_kbps=None, download_kbps=None)

    update_plan(plan=plan, download_kbps=100000, upload_kbps=20000)
    assert (
        freeradius.authenticate(sub.username, "pppoe-pass").attributes["Mikrotik-Rate-Limit"]
        == "20M/100M"
    )

    set_access_block(subscription=Subscription.objects.get(pk=sub.pk), reason="data cap reached")
    blocked = freeradius.authenticate(sub.username, "pppoe-pass")
    assert (blocked.code, blocked.attributes.get("Reply-Message")) == (
        "Access-Reject",
        "data cap reached",
    )
    set_access_block(subscription=Subscription.objects.get(pk=sub.pk), reason=None)
    assert freeradius.authenticate(sub.username, "pppoe-pass").code == "Access-Accept"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "cisco",
            {"Cisco-Account-Info": "QU;10000000;1875000;3750000;D;50000000;9375000;18750000"},
        ),
        ("juniper", {"ERX-Service-Activate:1": "ispstack-rate(50000000,10000000)"}),
        (
            "other",
            {
                "WISPr-Bandwidth-Max-Up": "10000000",
                "WISPr-Bandwidth-Max-Down": "50000000",
                "Maximum-Data-Rate-Upstream": "10000000",
                "Maximum-Data-Rate-Downstream": "50000000",
            },
        ),
    ],
)
def test_the_nas_type_picks_the_vendor_rate_attributes(
    freeradius, tenant, make_plan, make_subscription, kind, expected
):
    plan = make_plan(tenant, download_kbps=50000, upload_kbps=10000)
    sub = make_subscription(tenant, plan=plan, password="pppoe-pass")
    change_access(subscription=sub, nas=_nas(tenant, kind, "192.0.2.50"))
    reply = freeradius.authenticate(sub.username, "pppoe-pass")
    assert reply.code == "Access-Accept"
    assert {k: reply.attributes.get(k) for k in expected} == expected
    assert "Mikrotik-Rate-Limit" not in reply.attributes


def test_a_plan_limits_simultaneous_sessions(freeradius, tenant, make_plan, make_subscription):
    plan = make_plan(tenant, max_sessions=1)
    sub = make_subscription(tenant, plan=plan, password="pppoe-pass")
    session = {
        "User-Name": sub.username,
        "Acct-Session-Id": "simul-1",
        "NAS-IP-Address": "127.0.0.1",
    }
    assert freeradius.authenticate(sub.username, "pppoe-pass").code == "Access-Accept"
    assert freeradius.request("acct", {**session, "Acct-Status-Type": "Start"}).code == (
        "Accounting-Response"
    )
    assert freeradius.authenticate(sub.username, "pppoe-pass").code == "Access-Reject"
    freeradius.request("acct", {**session, "Acct-Status-Type": "Stop"})
    assert freeradius.authenticate(sub.username, "pppoe-pass").code == "Access-Accept"
