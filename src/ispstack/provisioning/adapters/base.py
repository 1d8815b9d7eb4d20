"""The small interfaces a service order's steps call, and the errors they raise.

A step never imports a vendor client: it asks for the tenant's ``Adapters``
and calls these methods. ``None`` in ``Adapters`` means "ispstack does it
itself" (addresses from ispstack's own pools) or "no such system" (no ACS, no
router to configure), and the step skips that part.

Every method is idempotent on its ``reference`` (the order's or subscription's
stable key): a step re-run after a crash or a ``kill -9`` finds what the first
try made and returns it, never a second address or a second queue.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, Protocol


class AdapterError(Exception):
    """A call to an external system failed.

    ``system`` names it (``netbox``, ``genieacs``, ``mikrotik``). ``retryable``
    is True when a later try may succeed (timeout, connection refused, HTTP
    5xx): the step stays pending and is retried with backoff. False when a
    retry cannot change the answer (token refused, prefix missing, pool
    exhausted): the step is ``blocked`` with the message for a person to act.
    """

    def __init__(self, message: str, *, system: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.system = system
        self.retryable = retryable


class DevicePending(AdapterError):
    """The CPE has not informed the ACS yet (GenieACS answers no device for the
    serial): not a failure. The step stays ``pending`` and is retried until
    the device comes online."""

    def __init__(self, message: str, *, system: str = "genieacs") -> None:
        super().__init__(message, system=system, retryable=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AddressAllocation:
    """An address handed out by an IPAM: ``address`` is the host address
    without a prefix length (``100.64.0.17`` or ``2001:db8::17``),
    ``external_id`` the IPAM's own id for it (NetBox's IP address id), or ""
    when the IPAM has none."""

    address: str
    external_id: str = ""


ProvisionOutcome = Literal["applied", "queued"]
"""What ``AcsAdapter.provision_cpe`` achieved: the CPE took the settings now
("applied"), or the ACS holds them for the device's next inform ("queued")."""


@dataclasses.dataclass(frozen=True)
class RouterCommand:
    """One change on a router: ``ensure`` a row of ``path`` (``/ppp/secret``)
    matched by ``key`` holds ``attributes`` (set when found, else added with
    key and attributes), or make every row matched by ``key`` ``absent``.
    What a dry run records and a preview shows."""

    action: Literal["ensure", "absent"]
    path: str
    key: dict[str, str]
    attributes: dict[str, str] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        shown = {k: "***" if k == "password" else v for k, v in self.attributes.items()}
        words = " ".join(f"{k}={v}" for k, v in {**self.key, **shown}.items())
        verb = "add or set" if self.action == "ensure" else "remove"
        return f"{self.path} {verb} {words}"


class IpamAdapter(Protocol):
    """An external IPAM that owns the tenant's subscriber addresses (NetBox)."""

    def check(self) -> str:
        """Whether the system answers and accepts the credentials: a short
        description of what answered. Raises AdapterError."""
        ...

    def allocate_address(
        self,
        *,
        prefix: str = "",
        reference: str,
        description: str = "",
        dns_name: str = "",
        tags: tuple[str, ...] = (),
    ) -> AddressAllocation:
        """The next free address in ``prefix`` (CIDR; "" for the tenant's
        configured default prefix), recorded with ``reference`` so a second
        call for the same reference returns the same address. ``tags`` are
        tag names (the customer's, the plan's). Raises AdapterError
        (``retryable=False`` when the prefix is unknown or full)."""
        ...

    def release_address(self, *, reference: str) -> None:
        """Gives back the address recorded with ``reference``; releasing an
        address that is already gone does nothing. Raises AdapterError."""
        ...

    def vlan_id(self, *, site: str, name: str) -> int | None:
        """The 802.1Q VLAN id (1-4094) named ``name`` at site ``site`` (the
        site's slug), or None when the IPAM has no such VLAN."""
        ...


class AcsAdapter(Protocol):
    """A TR-069 auto-configuration server (GenieACS NBI)."""

    def check(self) -> str:
        """Whether the system answers and accepts the credentials: a short
        description of what answered. Raises AdapterError."""
        ...

    def provision_cpe(self, *, serial: str, tag: str, ssid: str, wpa_key: str) -> ProvisionOutcome:
        """Tags the CPE whose serial number is ``serial`` with ``tag`` (the
        plan's configuration template), sets its Wi-Fi SSID and WPA2 key and
        asks it to refresh. Returns "applied" or "queued" (the ACS runs the
        tasks at the device's next inform: not an error). Raises
        DevicePending when the device has not informed yet, AdapterError
        otherwise."""
        ...

    def deprovision_cpe(self, *, serial: str, tag: str) -> None:
        """Removes ``tag`` from the CPE; an unknown device is not an error."""
        ...


class RouterAdapter(Protocol):
    """A router that holds subscriber state itself (MikroTik RouterOS API)."""

    def check(self) -> str:
        """Whether the system answers and accepts the credentials: a short
        description of what answered. Raises AdapterError."""
        ...

    dry_run: bool
    """True: calls record their commands (``recorded``) and send nothing."""

    def plan_subscriber(
        self,
        *,
        username: str,
        password: str,
        rate_limit: str,
        address: str | None,
        mac_address: str = "",
    ) -> list[RouterCommand]:
        """The commands ``apply_subscriber`` would send, sending nothing (a
        dry-run preview). Raises AdapterError for arguments it cannot use."""
        ...

    def apply_subscriber(
        self,
        *,
        username: str,
        password: str,
        rate_limit: str,
        address: str | None,
        mac_address: str = "",
    ) -> list[RouterCommand]:
        """Creates or updates the subscriber's PPP secret (or DHCP lease when
        ``password`` is empty: needs ``address`` and ``mac_address``) and a
        simple queue on ``address``; ``rate_limit`` is in RouterOS form
        ``"<upload>k/<download>k"`` (kbit/s). Returns the commands, sent or
        (dry run) only recorded. Raises AdapterError."""
        ...

    def remove_subscriber(self, *, username: str) -> list[RouterCommand]:
        """Removes what ``apply_subscriber`` made; absent rows are not an error."""
        ...

    def set_suspended(self, *, address: str, suspended: bool) -> list[RouterCommand]:
        """Adds ``address`` to, or removes it from, the suspension address list."""
        ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class Adapters:
    """The adapters a tenant's orders use; None where ispstack does the work
    itself (``ipam``) or the tenant has no such system (``acs``, ``router``)."""

    ipam: IpamAdapter | None = None
    acs: AcsAdapter | None = None
    router: RouterAdapter | None = None
