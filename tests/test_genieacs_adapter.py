"""The GenieACS adapter against recorded responses of GenieACS's documented NBI.

GenieACS is not in the package registries this project installs from, so no
real ACS can run in the tests. Instead a small HTTP server on 127.0.0.1
replays the NBI's documented answers: ``GET /devices/?query=...`` returns
the JSON array of matching devices (``tests/fixtures/genieacs/devices_*.json``,
in the NBI's ``_value`` / ``_timestamp`` shape), ``POST /devices/<id>/tasks``
returns the task with 200 when the CPE ran it and 202 when it was queued,
``POST`` / ``DELETE /devices/<id>/tags/<tag>`` return 200, and an unknown
device id 404. The server records every request so the tests check what the
adapter sent.
"""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest

from ispstack.provisioning.adapters.base import AdapterError, DevicePending
from ispstack.provisioning.adapters.genieacs import GenieAcs
from tests.genieacs_recorded import RecordedNbi, Reply, fixture, recorded_nbi
from tests.peers import free_ports


def acs_for(nbi: RecordedNbi, **kwargs) -> GenieAcs:
    return GenieAcs(url=nbi.url, **{"timeout": 2, "pause": 0.05, **kwargs})


def test_provisioning_a_tr098_cpe_tags_sets_wifi_and_refreshes():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr098.json")))
        nbi.reply("POST", "tags", Reply(200))
        nbi.reply(
            "POST",
            "tasks",
            Reply(200, fixture("task_set_parameter_values.json")),
            Reply(200, fixture("task_refresh_object.json")),
        )
        outcome = acs_for(nbi).provision_cpe(
            serial="ZTEG12345678",
            tag="plan-fibre-100",
            ssid="Home-1001",
            wpa_key="s3cret-passphrase",
        )

    assert outcome == "applied"
    (get, tag, set_values, refresh) = nbi.requests
    assert get[0] == "GET" and json.loads(get[2]["query"][0]) == {
        "_deviceId._SerialNumber": "ZTEG12345678"
    }
    assert tag[:2] == ("POST", "/devices/202BC1-BM632w-ZTEG12345678/tags/plan-fibre-100")
    assert set_values[1] == "/devices/202BC1-BM632w-ZTEG12345678/tasks"
    assert "connection_request" in set_values[2] and set_values[2]["timeout"] == ["1600"]
    assert set_values[3] == {
        "name": "setParameterValues",
        "parameterValues": [
            [
                "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
                "Home-1001",
                "xsd:string",
            ],
            [
                "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.PreSharedKey.1.KeyPassphrase",
                "s3cret-passphrase",
                "xsd:string",
            ],
        ],
    }
    assert refresh[3] == {
        "name": "refreshObject",
        "objectName": "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1",
    }


def test_a_tr181_cpe_gets_the_device2_paths():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr181.json")))
        nbi.reply("POST", "tags", Reply(200))
        nbi.reply("POST", "tasks", Reply(200, b"{}"))
        acs_for(nbi).provision_cpe(
            serial="48575443A1B2C3D4", tag="", ssid="Home-2", wpa_key="another-passphrase"
        )
    tasks = [body for method, path, _q, body in nbi.requests if path.endswith("/tasks")]
    assert [p[0] for p in tasks[0]["parameterValues"]] == [
        "Device.WiFi.SSID.1.SSID",
        "Device.WiFi.AccessPoint.1.Security.KeyPassphrase",
    ]
    assert tasks[1] == {"name": "refreshObject", "objectName": "Device.WiFi"}
    assert not any(path.endswith("/tags/") for _m, path, _q, _b in nbi.requests)


def test_an_unknown_serial_is_pending_not_failed():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_none.json")))
        with pytest.raises(DevicePending) as caught:
            acs_for(nbi).provision_cpe(
                serial="ZTEG00000000", tag="t", ssid="Home", wpa_key="passphrase"
            )
    assert caught.value.retryable is True
    assert [m for m, *_ in nbi.requests] == ["GET"]


def test_a_task_queued_for_an_offline_cpe_is_success_pending():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr098.json")))
        nbi.reply("POST", "tags", Reply(200))
        nbi.reply("POST", "tasks", Reply(202, fixture("task_set_parameter_values.json")))
        outcome = acs_for(nbi).provision_cpe(
            serial="ZTEG12345678", tag="t", ssid="Home-1001", wpa_key="s3cret-passphrase"
        )
    assert outcome == "queued"


def test_an_nbi_that_does_not_answer_in_time_is_retryable_after_the_bounded_retries():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr098.json"), delay=1.5))
        started = time.monotonic()
        with pytest.raises(AdapterError) as caught:
            acs_for(nbi, timeout=0.5, attempts=2).provision_cpe(
                serial="ZTEG12345678", tag="t", ssid="Home", wpa_key="passphrase"
            )
    assert caught.value.retryable is True and not isinstance(caught.value, DevicePending)
    assert len(nbi.requests) == 2
    assert time.monotonic() - started < 3


def test_a_refused_request_is_not_retryable_and_a_5xx_is():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr098.json")))
        nbi.reply("POST", "tags", Reply(400, b"Invalid tag"))
        with pytest.raises(AdapterError) as refused:
            acs_for(nbi).provision_cpe(
                serial="ZTEG12345678", tag="bad tag", ssid="Home", wpa_key="passphrase"
            )
        nbi.reply("POST", "tags", Reply(503, b"busy"))
        with pytest.raises(AdapterError) as busy:
            acs_for(nbi).provision_cpe(
                serial="ZTEG12345678", tag="t", ssid="Home", wpa_key="passphrase"
            )
    assert refused.value.retryable is False and "HTTP 400" in str(refused.value)
    assert busy.value.retryable is True and "HTTP 503" in str(busy.value)


def test_an_acs_that_is_down_is_retryable():
    port = free_ports(1, socket.SOCK_STREAM)[0]
    acs = GenieAcs(url=f"http://127.0.0.1:{port}", timeout=1, pause=0.05)
    with pytest.raises(AdapterError) as caught:
        acs.provision_cpe(serial="X", tag="t", ssid="Home", wpa_key="passphrase")
    assert caught.value.retryable is True


def test_bad_wifi_settings_are_refused_before_any_call():
    acs = GenieAcs(url="http://127.0.0.1:9")
    with pytest.raises(AdapterError, match="8 to 63") as caught:
        acs.provision_cpe(serial="X", tag="t", ssid="Home", wpa_key="short")
    assert caught.value.retryable is False
    with pytest.raises(AdapterError, match="SSID"):
        acs.provision_cpe(serial="X", tag="t", ssid="", wpa_key="long-enough")


def test_deprovision_removes_the_tag_and_ignores_an_unknown_device():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr098.json")))
        nbi.reply("DELETE", "tags", Reply(200))
        acs_for(nbi).deprovision_cpe(serial="ZTEG12345678", tag="plan-fibre-100")
        nbi.reply("GET", "devices", Reply(200, fixture("devices_none.json")))
        acs_for(nbi).deprovision_cpe(serial="ZTEG00000000", tag="plan-fibre-100")
    assert [(m, p) for m, p, _q, _b in nbi.requests if m == "DELETE"] == [
        ("DELETE", "/devices/202BC1-BM632w-ZTEG12345678/tags/plan-fibre-100")
    ]


def test_basic_authentication_is_sent_when_configured():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_none.json")))
        acs = acs_for(nbi, username="ops", password="pw")
        with pytest.raises(DevicePending):
            acs.provision_cpe(serial="X", tag="t", ssid="Home", wpa_key="passphrase")
    assert nbi.authorizations == ["Basic " + base64.b64encode(b"ops:pw").decode()]


def test_check_queries_one_device_id():
    with recorded_nbi() as nbi:
        nbi.reply("GET", "devices", Reply(200, fixture("devices_tr098.json")))
        assert acs_for(nbi).check() == "GenieACS NBI"
        nbi.reply("GET", "devices", Reply(401, b"Unauthorized"))
        with pytest.raises(AdapterError) as caught:
            acs_for(nbi).check()
    assert caught.value.retryable is False
    assert nbi.requests[0][2] == {"projection": ["_id"], "limit": ["1"]}
