"""The FreeRADIUS test peer's CoA/Disconnect listener answers by its policy
(RFC 5176 ACK/NAK with Error-Cause) and logs every request it receives, so
the CoA tests can rely on what it says."""

from __future__ import annotations

import pytest

from ispstack.radius.models import RadAcct
from tests.peers import start_freeradius, stop_freeradius

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]

SESSION = {"User-Name": "peer-check@isp.example", "Acct-Session-Id": "peer-check-1"}


@pytest.mark.parametrize(
    ("policy", "coa", "disconnect", "error_cause"),
    [
        ("ack", "CoA-ACK", "Disconnect-ACK", None),
        ("nak", "CoA-NAK", "Disconnect-NAK", "Administratively-Prohibited"),
    ],
)
def test_the_ack_and_nak_policies_answer_every_request_alike(policy, coa, disconnect, error_cause):
    peer = start_freeradius(RADIUS_COA_POLICY=policy)
    try:
        coa_reply = peer.request("coa", {**SESSION, "Mikrotik-Rate-Limit": "1M/2M"})
        disconnect_reply = peer.request("disconnect", SESSION)
        detail = (peer.run_dir / "log" / "coa-requests.detail").read_text()
    finally:
        stop_freeradius(peer)
    assert (coa_reply.code, disconnect_reply.code) == (coa, disconnect)
    assert coa_reply.attributes.get("Error-Cause") == error_cause
    assert disconnect_reply.attributes.get("Error-Cause") == error_cause
    assert detail.count('Acct-Session-Id = "peer-check-1"') == 2
    assert 'Mikrotik-Rate-Limit = "1M/2M"' in detail
    assert "Disconnect-Request" in detail


def test_the_session_policy_acknowledges_only_an_open_session(freeradius):
    unknown = freeradius.request("disconnect", SESSION)
    assert unknown.code == "Disconnect-NAK"
    assert unknown.attributes["Error-Cause"] == "Session-Context-Not-Found"

    start = {**SESSION, "Acct-Status-Type": "Start", "NAS-IP-Address": "127.0.0.1"}
    assert freeradius.request("acct", start).code == "Accounting-Response"
    assert freeradius.request("disconnect", SESSION).code == "Disconnect-ACK"
    other = {**SESSION, "Acct-Session-Id": "peer-check-2"}
    assert freeradius.request("disconnect", other).code == "Disconnect-NAK"
    # Without an Acct-Session-Id the User-Name identifies the session.
    by_name = {"User-Name": SESSION["User-Name"]}
    assert freeradius.request("coa", by_name).code == "CoA-ACK"

    stop = {**start, "Acct-Status-Type": "Stop", "Acct-Session-Time": 60}
    assert freeradius.request("acct", stop).code == "Accounting-Response"
    assert RadAcct.objects.get(acctsessionid="peer-check-1").acctstoptime is not None
    assert freeradius.request("disconnect", SESSION).code == "Disconnect-NAK"
