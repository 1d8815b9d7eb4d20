"""A MikroTik router (RouterOS API, through librouteros) that holds subscriber
state itself: a PPP secret or a DHCP lease, a simple queue with the plan's
rate, and the firewall address list of suspended subscribers.

Every change is "find by key, then set; else add", so applying the same
subscriber twice leaves one secret and one queue with the latest values.
What ispstack makes carries the comment ``ispstack`` (the DHCP lease, which
has no name, ``ispstack:<username>``) so staff can tell it from hand-made
rows. The queue is named ``ispstack-<username>``.

Dry run (the tenant default): nothing is sent, not even a login; each call
records the commands it would send (``recorded``, also logged), and
``plan_subscriber`` shows them ahead of time for a preview.

Errors: an unreachable router, a timeout or a closed session are
``AdapterError(retryable=True)``; a refused login or a command the router
refuses (``!trap``: a wrong value, a missing profile) are ``retryable=False``.
The API user needs the RouterOS policies ``api``, ``read`` and ``write``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

import librouteros
from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, TrapError
from librouteros.query import Key

from ispstack.provisioning.adapters.base import AdapterError, RouterCommand

log = logging.getLogger(__name__)

SYSTEM = "mikrotik"
COMMENT = "ispstack"
# RouterOS rate form: "<upload>/<download>", each bits/s with an optional k, M or G.
RATE_LIMIT = re.compile(r"^\d+[kMG]?/\d+[kMG]?$")
MAC_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")


class MikroTikRouter:
    """``RouterAdapter`` on one RouterOS router's API (TCP ``port``, 8728 by
    default). ``suspended_list`` names the firewall address list of suspended
    subscribers; ``dry_run`` records instead of sending. ``timeout``: seconds
    for the connection and each answer."""

    def __init__(
        self,
        *,
        host: str,
        username: str,
        password: str,
        port: int = 8728,
        suspended_list: str = "ispstack-suspended",
        dry_run: bool = True,
        timeout: float = 10,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.suspended_list = suspended_list
        self.dry_run = dry_run
        self.timeout = timeout
        self.recorded: list[RouterCommand] = []

    def check(self) -> str:
        """Whether the router accepts the login (even in dry run: a login
        changes nothing): "RouterOS at <host>". Raises AdapterError."""
        self._connect().close()
        return f"RouterOS at {self.host}:{self.port}"

    def plan_subscriber(
        self,
        *,
        username: str,
        password: str,
        rate_limit: str,
        address: str | None,
        mac_address: str = "",
    ) -> list[RouterCommand]:
        """The commands ``apply_subscriber`` sends for these arguments, without
        sending anything. Raises AdapterError (retryable=False) for a rate not
        in RouterOS form, a DHCP lease without address or MAC address."""
        if not username:
            raise AdapterError("a subscriber needs a username", system=SYSTEM, retryable=False)
        if not RATE_LIMIT.match(rate_limit):
            raise AdapterError(
                f"rate limit {rate_limit!r} is not <upload>/<download> such as 10240k/51200k",
                system=SYSTEM,
                retryable=False,
            )
        host = _host_address(address) if address else None
        commands: list[RouterCommand] = []
        if password:
            secret = {"password": password, "service": "pppoe", "comment": COMMENT}
            if host:
                secret["remote-address"] = host
            commands.append(RouterCommand("ensure", "/ppp/secret", {"name": username}, secret))
        else:
            if not host or not MAC_ADDRESS.match(mac_address):
                raise AdapterError(
                    "a DHCP lease needs the subscriber's address and MAC address",
                    system=SYSTEM,
                    retryable=False,
                )
            commands.append(
                RouterCommand(
                    "ensure",
                    "/ip/dhcp-server/lease",
                    {"comment": f"{COMMENT}:{username}"},
                    {"address": host, "mac-address": mac_address.upper()},
                )
            )
        # Without a known address (a PPP address from the router's own pool)
        # there is nothing for a queue to target; the rate then comes with
        # the RADIUS reply (Mikrotik-Rate-Limit) instead.
        if host:
            length = 32 if ipaddress.ip_address(host).version == 4 else 128
            commands.append(
                RouterCommand(
                    "ensure",
                    "/queue/simple",
                    {"name": f"{COMMENT}-{username}"},
                    {"target": f"{host}/{length}", "max-limit": rate_limit, "comment": COMMENT},
                )
            )
        return commands

    def apply_subscriber(
        self,
        *,
        username: str,
        password: str,
        rate_limit: str,
        address: str | None,
        mac_address: str = "",
    ) -> list[RouterCommand]:
        """Creates or updates the PPP secret (``password`` set) or the DHCP lease
        (``password`` empty: needs ``address`` and ``mac_address``), and the
        simple queue on ``address`` with ``max-limit`` ``rate_limit``
        (``"<upload>k/<download>k"``, kbit/s). Returns the commands (sent, or
        only recorded in dry run). Raises AdapterError."""
        commands = self.plan_subscriber(
            username=username,
            password=password,
            rate_limit=rate_limit,
            address=address,
            mac_address=mac_address,
        )
        self._run(commands)
        return commands

    def remove_subscriber(self, *, username: str) -> list[RouterCommand]:
        """Removes the secret, the lease and the queue of ``username``; absent
        rows are not an error. Returns the commands. Raises AdapterError."""
        commands = [
            RouterCommand("absent", "/ppp/secret", {"name": username, "comment": COMMENT}),
            RouterCommand("absent", "/ip/dhcp-server/lease", {"comment": f"{COMMENT}:{username}"}),
            RouterCommand("absent", "/queue/simple", {"name": f"{COMMENT}-{username}"}),
        ]
        self._run(commands)
        return commands

    def set_suspended(self, *, address: str, suspended: bool) -> list[RouterCommand]:
        """Puts ``address`` on the suspension address list, or takes it off.
        Returns the commands. Raises AdapterError."""
        key = {"list": self.suspended_list, "address": _host_address(address)}
        command = (
            RouterCommand("ensure", "/ip/firewall/address-list", key, {"comment": COMMENT})
            if suspended
            else RouterCommand("absent", "/ip/firewall/address-list", key)
        )
        self._run([command])
        return [command]

    def _run(self, commands: list[RouterCommand]) -> None:
        if self.dry_run:
            for command in commands:
                log.info("mikrotik %s (dry run): %s", self.host, str(command))
            self.recorded.extend(commands)
            return
        api = self._connect()
        try:
            for command in commands:
                _execute(api, command)
                log.info("mikrotik %s: %s", self.host, str(command))
        except TrapError as exc:
            raise AdapterError(
                f"the router refused {str(command)}: {exc}", system=SYSTEM, retryable=False
            ) from exc
        except (OSError, LibRouterosError) as exc:
            raise AdapterError(
                f"the router's API failed during {str(command)}: {exc!r}", system=SYSTEM
            ) from exc
        finally:
            api.close()

    def _connect(self) -> Any:
        if not self.host:
            raise AdapterError("no router host is set", system=SYSTEM, retryable=False)
        try:
            return librouteros.connect(
                self.host,
                self.username,
                self.password,
                port=self.port,
                timeout=self.timeout,
            )
        except TrapError as exc:
            raise AdapterError(
                f"the router refused the login of {self.username!r}: {exc}",
                system=SYSTEM,
                retryable=False,
            ) from exc
        except (OSError, ConnectionClosed, FatalError, LibRouterosError) as exc:
            raise AdapterError(
                f"the router {self.host}:{self.port} is unreachable: {exc!r}", system=SYSTEM
            ) from exc


def _host_address(value: str) -> str:
    """``value`` as a bare host address. Raises AdapterError when it is none."""
    try:
        return str(ipaddress.ip_address(value.split("/")[0]))
    except ValueError as exc:
        raise AdapterError(
            f"{value!r} is not an IP address", system=SYSTEM, retryable=False
        ) from exc


def _execute(api: Any, command: RouterCommand) -> None:
    path = api.path(*command.path.strip("/").split("/"))
    criteria: list[Any] = [Key(k) == v for k, v in command.key.items()]
    found = [row[".id"] for row in path.select(Key(".id")).where(*criteria)]
    if command.action == "absent":
        if found:
            path.remove(*found)
        return
    if found:
        path.update(**{".id": found[0], **command.attributes})
        if len(found) > 1:  # made by hand beside ours: keep one
            path.remove(*found[1:])
    else:
        path.add(**command.key, **command.attributes)
