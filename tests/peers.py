"""Real peers for the tests, each on 127.0.0.1 only and stopped by its PID:
FreeRADIUS 3.2 reading our tables on the test database (tests/freeradius),
SMTP (aiosmtpd), headless Chromium, localstripe and an SMPP server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from tests import freeradius as radius_peer

REPO = Path(__file__).resolve().parent.parent
SECRET = "testing123"


def free_ports(count: int, kind: int = socket.SOCK_DGRAM) -> list[int]:
    """``count`` distinct ports (UDP by default) on 127.0.0.1 that are free right now."""
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


@dataclass
class RadiusReply:
    """What radclient received: the packet type and the reply attributes."""

    code: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class FreeRadiusPeer:
    """A running FreeRADIUS test peer: its UDP ports, run directory (logs under
    ``log/``), PID and the secret of its configured client."""

    auth_port: int
    acct_port: int
    coa_port: int
    run_dir: Path
    pid: int
    secret: str

    def request(
        self, kind: str, attributes: dict[str, Any], secret: str | None = None
    ) -> RadiusReply:
        """Send one request with radclient (``auth``, ``acct``, or ``coa`` /
        ``disconnect`` to the CoA listener) and parse the answer; ``secret``
        defaults to the peer's client secret."""
        port = {
            "auth": self.auth_port,
            "acct": self.acct_port,
            "coa": self.coa_port,
            "disconnect": self.coa_port,
        }[kind]
        body = "".join(
            f'{name} = "{value}"\n' if isinstance(value, str) else f"{name} = {value}\n"
            for name, value in attributes.items()
        )
        out = subprocess.run(
            [
                "radclient",
                "-x",
                "-r",
                "2",
                "-t",
                "3",
                f"127.0.0.1:{port}",
                kind,
                secret or self.secret,
            ],
            input=body,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        match = re.search(r"Received (\S+) Id", out)
        code = match.group(1) if match else "no-reply"
        reply = out.split("Received", 1)[1] if "Received" in out else ""
        attrs = dict(re.findall(r"^\s+([A-Za-z0-9:-]+) = \"?([^\"\n]*)\"?$", reply, re.M))
        return RadiusReply(code=code, attributes=attrs)

    def authenticate(self, username: str, password: str, secret: str | None = None) -> RadiusReply:
        """PAP Access-Request for ``username``."""
        return self.request(
            "auth",
            {"User-Name": username, "User-Password": password, "NAS-IP-Address": "127.0.0.1"},
            secret,
        )


def start_freeradius(
    *,
    RADIUS_SECRET: str = SECRET,
    RADIUS_CLIENT_IP: str = "127.0.0.1",
    RADIUS_SQL_READ_CLIENTS: str = "no",
    RADIUS_COA_POLICY: str = "session",
) -> FreeRadiusPeer:
    """Start a FreeRADIUS peer on the test database, on free ports, in a new
    temporary run directory.

    The settings keep the names FreeRADIUS test peers are configured with:
    the one client's secret and address, ``RADIUS_SQL_READ_CLIENTS="yes"``
    to load the ``nas`` table as clients, and the CoA listener's policy
    (``ack``, ``nak`` or ``session``; see ``tests.freeradius.COA_POLICIES``).
    Raises RuntimeError when the server does not come up.
    """
    from django.db import connection

    db = connection.settings_dict
    auth, acct, coa = free_ports(3)
    config = radius_peer.PeerConfig(
        run_dir=Path(tempfile.mkdtemp(prefix="ispstack-radius-")),
        db_host=db["HOST"] or "127.0.0.1",
        db_port=int(db["PORT"] or 5432),
        db_user=db["USER"] or "postgres",
        db_password=db["PASSWORD"] or "",
        db_name=db["NAME"],
        auth_port=auth,
        acct_port=acct,
        coa_port=coa,
        secret=RADIUS_SECRET,
        client_ip=RADIUS_CLIENT_IP,
        coa_policy=RADIUS_COA_POLICY,
        read_clients=RADIUS_SQL_READ_CLIENTS == "yes",
    )
    return FreeRadiusPeer(
        auth_port=auth,
        acct_port=acct,
        coa_port=coa,
        run_dir=config.run_dir,
        pid=radius_peer.start(config),
        secret=RADIUS_SECRET,
    )


def stop_freeradius(peer: FreeRadiusPeer) -> None:
    """Stop a peer started by ``start_freeradius`` (by its PID) and remove its
    run directory, whose configuration holds the database password."""
    radius_peer.stop(peer.pid, peer.run_dir)
    shutil.rmtree(peer.run_dir)


@pytest.fixture(scope="session")
def freeradius(django_db_setup: Any, django_db_blocker: Any) -> Iterator[FreeRadiusPeer]:
    """FreeRADIUS on the test database (tests using it must be transactional)."""
    peer = start_freeradius()
    try:
        yield peer
    finally:
        stop_freeradius(peer)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_Inbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's SMTP backend points at it."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = free_ports(1, socket.SOCK_STREAM)[0]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    try:
        yield inbox
    finally:
        controller.stop()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make between page actions are synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[str]:
    """localstripe (a Stripe API fake written by its community, PyPI) on 127.0.0.1;
    yields its base URL. Its CLI binds every interface, so it is started here."""
    import asyncio
    import threading

    import aiohttp.web
    import localstripe.server

    port = free_ports(1, socket.SOCK_STREAM)[0]
    loop = asyncio.new_event_loop()
    runner = aiohttp.web.AppRunner(localstripe.server.app)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(aiohttp.web.TCPSite(runner, "127.0.0.1", port).start())
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            import time

            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


SMSC_DIR = REPO / "tests" / "smsc"


@pytest.fixture
def smsc(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A real SMPP server (npm ``smpp``, tests/smsc) on 127.0.0.1; settings point
    the SMPP sender at it. Yields the JSON-lines file of received messages."""
    if not (SMSC_DIR / "node_modules" / "smpp").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=SMSC_DIR,
            check=True,
            timeout=300,
        )
    port = free_ports(1, socket.SOCK_STREAM)[0]
    inbox = tmp_path / "smsc.jsonl"
    inbox.touch()
    server = subprocess.Popen(
        ["node", str(SMSC_DIR / "smsc.js"), str(port), str(inbox)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    settings.SMS_BACKEND = "smpp"
    settings.SMPP_HOST, settings.SMPP_PORT = "127.0.0.1", port
    settings.SMPP_SYSTEM_ID, settings.SMPP_PASSWORD = "ispstack", "secret"
    settings.SMS_SENDER_ID = "DemoFibre"
    try:
        yield inbox
    finally:
        server.terminate()
        server.wait(timeout=10)
