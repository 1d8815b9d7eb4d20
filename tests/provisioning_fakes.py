"""In-memory doubles of the provisioning adapter interfaces
(``ispstack.provisioning.adapters.base``), for the order workflow tests."""

from __future__ import annotations

import dataclasses
import ipaddress

from ispstack.provisioning.adapters.base import AdapterError, AddressAllocation, DevicePending


@dataclasses.dataclass
class FakeIpam:
    """Hands out addresses of a prefix by reference, as NetBox would."""

    given: dict[str, str] = dataclasses.field(default_factory=dict)
    calls: int = 0
    fail: AdapterError | None = None
    answer: str | None = None

    def allocate_address(
        self, *, prefix: str, reference: str, description: str, dns_name: str, tags: tuple[str, ...]
    ) -> AddressAllocation:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        if reference not in self.given:
            if self.answer is not None:
                self.given[reference] = self.answer
            else:
                taken = set(self.given.values())
                hosts = ipaddress.ip_network(prefix).hosts()
                self.given[reference] = next(str(h) for h in hosts if str(h) not in taken)
        return AddressAllocation(address=self.given[reference], external_id=reference)

    def release_address(self, *, reference: str) -> None:
        self.given.pop(reference, None)

    def vlan_id(self, *, site: str, name: str) -> int | None:
        return None


@dataclasses.dataclass
class FakeAcs:
    """A GenieACS that knows the devices in ``online``."""

    online: set[str] = dataclasses.field(default_factory=set)
    tagged: dict[str, tuple[str, str, str]] = dataclasses.field(default_factory=dict)
    fail: AdapterError | None = None

    def provision_cpe(self, *, serial: str, tag: str, ssid: str, wpa_key: str) -> None:
        if self.fail is not None:
            raise self.fail
        if serial not in self.online:
            raise DevicePending(f"no device with serial {serial}")
        self.tagged[serial] = (tag, ssid, wpa_key)

    def deprovision_cpe(self, *, serial: str, tag: str) -> None:
        self.tagged.pop(serial, None)
