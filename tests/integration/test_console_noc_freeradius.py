"""The NOC screens on what a real FreeRADIUS 3.2 writes with its stock queries:
a wrong password shows on "why a login fails" as a reject with the reason, and
two interim updates give the session's rate over the last interval."""

from __future__ import annotations

import pytest
from django.test import Client

from ispstack.core import clock
from ispstack.radius.models import RadAcct

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]

NBSP = "\u00a0"


def test_a_wrong_password_and_interim_updates_as_the_noc_sees_them(
    freeradius, make_tenant, make_subscription, make_staff
):
    tenant = make_tenant()
    sub = make_subscription(tenant, password="pppoe-pass")
    assert freeradius.authenticate(sub.username, "typo").code == "Access-Reject"
    client = Client()
    client.force_login(make_staff(tenant, "support"))
    html = client.get("/staff/noc/auth/", {"username": sub.username}).content.decode()
    assert "Access-Reject" in html
    assert "Wrong password" in html
    assert "typo" not in html and "pppoe-pass" not in html

    start = int(clock.now().timestamp()) - 600
    base = {
        "User-Name": sub.username,
        "Acct-Session-Id": "live-1",
        "NAS-IP-Address": "127.0.0.1",
        "Framed-IP-Address": sub.ip_address.address,
    }

    def acct(status: str, at: int, up: int = 0, down: int = 0, down_gigawords: int = 0) -> None:
        answer = freeradius.request(
            "acct",
            {
                **base,
                "Acct-Status-Type": status,
                "Event-Timestamp": at,
                "Acct-Input-Octets": up,
                "Acct-Output-Octets": down,
                "Acct-Output-Gigawords": down_gigawords,
            },
        )
        assert answer.code == "Accounting-Response"

    acct("Start", start)
    acct("Interim-Update", start + 300, up=1_000_000, down=5_000_000, down_gigawords=1)
    # 300 s later: 37.5 MB more up (1 Mbit/s), 375 MB more down (10 Mbit/s).
    acct("Interim-Update", start + 600, up=38_500_000, down=380_000_000, down_gigawords=1)
    session = RadAcct.objects.get(acctsessionid="live-1")
    assert session.acctoutputoctets == (1 << 32) + 380_000_000
    assert session.prevoutputoctets == (1 << 32) + 5_000_000

    html = client.get("/staff/noc/sessions/").content.decode()
    assert sub.username in html
    assert f"10{NBSP}Mbit/s / 1{NBSP}Mbit/s" in html
    assert f"4.7{NBSP}GB" in html  # 1 gigaword + 380 MB down
