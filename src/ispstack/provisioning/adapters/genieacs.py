"""GenieACS's northbound interface (NBI, HTTP/JSON) as the tenant's TR-069 ACS.

What a CPE gets: the plan's configuration tag (GenieACS provisions run by
preset on that tag), its Wi-Fi SSID and WPA2 passphrase set with a
``setParameterValues`` task, then a ``refreshObject`` of the Wi-Fi object so
the ACS's copy matches the device. The parameter paths depend on the data
model the device informed with: TR-098 (``InternetGatewayDevice.``) or
TR-181 (``Device.``, Device:2).

Tasks are posted with ``?connection_request`` and a ``timeout``: GenieACS
asks the CPE to connect and answers 200 when the task ran, or 202 when the
task is queued because the CPE did not connect in time (offline, behind NAT);
a queued task runs at the device's next inform, so 202 is success-pending,
never an error. A serial no device has informed with is ``DevicePending``.

Errors: a timeout, a refused connection or HTTP 5xx / 408 / 429 are
retryable (tried ``attempts`` times in the call with a short pause, then
left to the outbox's backoff); other 4xx are not (wrong credentials, a bad
parameter).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import quote

import requests

from ispstack.provisioning.adapters.base import AdapterError, DevicePending, ProvisionOutcome

log = logging.getLogger(__name__)

SYSTEM = "genieacs"
RETRYABLE_STATUS = {408, 429}

# Wi-Fi parameters of the first radio / SSID in each data model (BBF TR-098
# InternetGatewayDevice:1, TR-181 Device:2).
WIFI_PARAMETERS = {
    "InternetGatewayDevice": {
        "ssid": "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
        "key": "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.PreSharedKey.1.KeyPassphrase",
        "refresh": "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1",
    },
    "Device": {
        "ssid": "Device.WiFi.SSID.1.SSID",
        "key": "Device.WiFi.AccessPoint.1.Security.KeyPassphrase",
        "refresh": "Device.WiFi",
    },
}


class GenieAcs:
    """``AcsAdapter`` on a GenieACS NBI at ``url`` (``http://acs:7557``).

    ``username`` / ``password``: HTTP basic authentication of a proxy in front
    of the NBI (GenieACS's NBI itself has none), empty for none. ``timeout``:
    seconds for each HTTP call; the CPE gets at most that long to answer a
    connection request. ``attempts``: tries of one call on a retryable error;
    ``pause``: seconds between them.
    """

    def __init__(
        self,
        *,
        url: str,
        username: str = "",
        password: str = "",
        timeout: float = 10,
        attempts: int = 2,
        pause: float = 0.5,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.pause = pause
        self.session = requests.Session()
        if username:
            self.session.auth = (username, password)

    def check(self) -> str:
        """Whether the NBI answers a device query: "GenieACS NBI". Raises AdapterError."""
        self._call("GET", "/devices/", params={"projection": "_id", "limit": "1"})
        return "GenieACS NBI"

    def provision_cpe(self, *, serial: str, tag: str, ssid: str, wpa_key: str) -> ProvisionOutcome:
        """Tags the CPE with serial number ``serial`` with ``tag``, sets its
        SSID and WPA2 passphrase (8-63 characters, IEEE 802.11i) and refreshes
        the Wi-Fi object. Returns "applied" when the CPE took the tasks now,
        "queued" when GenieACS keeps them for its next inform.

        Raises DevicePending when no device has informed with ``serial``,
        AdapterError otherwise (retryable=False for a key outside 8-63
        characters or an empty SSID).
        """
        if not ssid or len(ssid) > 32:
            raise AdapterError("an SSID has 1 to 32 characters", system=SYSTEM, retryable=False)
        if not 8 <= len(wpa_key) <= 63:
            raise AdapterError(
                "a WPA2 passphrase has 8 to 63 characters", system=SYSTEM, retryable=False
            )
        device_id, root = self._find(serial)
        paths = WIFI_PARAMETERS[root]
        if tag:
            self._call("POST", f"/devices/{quote(device_id, safe='')}/tags/{quote(tag, safe='')}")
        outcomes = [
            self._task(
                device_id,
                {
                    "name": "setParameterValues",
                    "parameterValues": [
                        [paths["ssid"], ssid, "xsd:string"],
                        [paths["key"], wpa_key, "xsd:string"],
                    ],
                },
            ),
            self._task(device_id, {"name": "refreshObject", "objectName": paths["refresh"]}),
        ]
        outcome: ProvisionOutcome = "queued" if "queued" in outcomes else "applied"
        log.info("genieacs: provisioned %s (%s): %s", serial, device_id, outcome)
        return outcome

    def deprovision_cpe(self, *, serial: str, tag: str) -> None:
        """Removes ``tag`` from the CPE; an unknown device or a tag it does not
        carry is not an error. Raises AdapterError."""
        try:
            device_id, _root = self._find(serial)
        except DevicePending:
            return
        self._call(
            "DELETE",
            f"/devices/{quote(device_id, safe='')}/tags/{quote(tag, safe='')}",
            missing_ok=True,
        )

    def _find(self, serial: str) -> tuple[str, str]:
        """The GenieACS device id of ``serial`` and its data model root."""
        query = json.dumps({"_deviceId._SerialNumber": serial})
        projection = (
            "_id,InternetGatewayDevice.DeviceInfo.SerialNumber,Device.DeviceInfo.SerialNumber"
        )
        response = self._call("GET", "/devices/", params={"query": query, "projection": projection})
        try:
            devices = response.json()
        except ValueError as exc:
            raise AdapterError(
                "the GenieACS URL does not answer with the NBI's JSON",
                system=SYSTEM,
                retryable=False,
            ) from exc
        if not devices:
            raise DevicePending(f"no CPE with serial {serial} has informed the ACS yet")
        device = devices[0]
        root = "InternetGatewayDevice" if "InternetGatewayDevice" in device else "Device"
        return str(device["_id"]), root

    def _task(self, device_id: str, task: dict[str, Any]) -> ProvisionOutcome:
        response = self._call(
            "POST",
            f"/devices/{quote(device_id, safe='')}/tasks",
            params={"connection_request": "", "timeout": str(int(self.timeout * 1000 * 0.8))},
            body=task,
        )
        return "queued" if response.status_code == 202 else "applied"

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> requests.Response:
        doing = f"{method} {path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(
                    method, self.url + path, params=params, json=body, timeout=self.timeout
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                if attempt < self.attempts:
                    time.sleep(self.pause)
                    continue
                raise AdapterError(
                    f"GenieACS did not answer {doing}: {exc.__class__.__name__}", system=SYSTEM
                ) from exc
            status = response.status_code
            if status < 400:
                return response
            if status == 404:
                if missing_ok:
                    return response
                # The device was deleted between the query and the task.
                raise DevicePending(f"GenieACS has no device for {doing}")
            retryable = status >= 500 or status in RETRYABLE_STATUS
            if retryable and attempt < self.attempts:
                time.sleep(self.pause)
                continue
            raise AdapterError(
                f"GenieACS refused {doing} (HTTP {status}): {response.text[:200]}",
                system=SYSTEM,
                retryable=retryable,
            )
