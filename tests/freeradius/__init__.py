"""FreeRADIUS 3.2 as a test peer: a private server reading ispstack's RADIUS
tables with the installed package's stock PostgreSQL queries.

``start`` writes ``radiusd.conf`` (the template beside this module, filled in)
into ``<run_dir>/raddb`` and starts the Debian ``freeradius`` package's server
as a daemon on 127.0.0.1; ``stop`` ends it by its PID. The server logs to
``<run_dir>/log/radius.log`` and appends every CoA-Request and
Disconnect-Request it receives, in FreeRADIUS's detail format, to
``<run_dir>/log/coa-requests.detail``.

The installed package's modules, policies and ``queries.conf`` are included
in place (under ``STOCK_DIR``), never copied: a test runs against exactly the
SQL a production FreeRADIUS would send. Reading them needs root or the
``freerad`` group (Debian installs them mode 0640).

Used by ``tests/peers.py`` (pytest fixtures) and, through ``python -m
tests.freeradius``, by ``bench/radius_auth.sh``. Imports neither Django nor
pytest.
"""

from __future__ import annotations

import os
import shutil
import signal
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

STOCK_DIR = Path("/etc/freeradius/3.0")
"""The Debian package's configuration directory (FreeRADIUS 3.x layout)."""

TEMPLATE = Path(__file__).with_name("radiusd.conf")

COA_POLICIES = {
    # Every CoA-Request and Disconnect-Request is acknowledged.
    "ack": "ok",
    # Every request is refused as RFC 5176 section 3.5 lets a NAS do by policy.
    "nak": """\
update reply {
	&Error-Cause := Administratively-Prohibited
}
reject""",
    # A NAS knows its own sessions: acknowledge only when radacct holds an open
    # session with the request's Acct-Session-Id (or, without one, its
    # User-Name); otherwise Session-Context-Not-Found (RFC 5176 section 3.6).
    "session": """\
if ("%{sql:SELECT COUNT(*) FROM radacct WHERE acctstoptime IS NULL \
AND (acctsessionid = '%{Acct-Session-Id}' \
OR ('%{Acct-Session-Id}' = '' AND username = '%{User-Name}'))}" == 0) {
	update reply {
		&Error-Cause := Session-Context-Not-Found
	}
	reject
}
ok""",
}
"""What the CoA/Disconnect listener answers, by policy name (``recv-coa``
bodies; ``reject`` makes FreeRADIUS send a CoA-NAK or Disconnect-NAK)."""

STOP_GRACE_SECONDS = 5.0


class _Template(string.Template):
    # FreeRADIUS's own syntax already uses ${...} and %{...}.
    delimiter = "@"


@dataclass(frozen=True)
class PeerConfig:
    """Where a peer runs, which database it reads and what it answers.

    ``db_host`` is a host name or a Unix-socket directory, as libpq takes it.
    Ports are UDP ports on 127.0.0.1. ``client_ip`` and ``secret`` form the one
    client of the configuration; ``read_clients`` adds the NAS of the ``nas``
    table (each with its own secret). ``coa_policy`` is a key of
    ``COA_POLICIES``.
    """

    run_dir: Path
    db_host: str
    db_port: int
    db_user: str
    db_password: str
    db_name: str
    auth_port: int
    acct_port: int
    coa_port: int
    secret: str = "testing123"
    client_ip: str = "127.0.0.1"
    coa_policy: str = "ack"
    read_clients: bool = False

    @property
    def raddb_dir(self) -> Path:
        return self.run_dir / "raddb"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "log"


def _quoted(value: str) -> str:
    """``value`` escaped for a double-quoted FreeRADIUS string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def write_config(config: PeerConfig) -> Path:
    """Write ``<run_dir>/raddb/radiusd.conf`` (mode 0600: it holds the database
    password) and empty the log directory; returns the file's path.

    Raises ValueError for an unknown ``coa_policy``.
    """
    if config.coa_policy not in COA_POLICIES:
        raise ValueError(
            f"coa_policy must be one of {', '.join(COA_POLICIES)}, not {config.coa_policy!r}"
        )
    text = _Template(TEMPLATE.read_text()).substitute(
        stock_dir=STOCK_DIR,
        raddb_dir=config.raddb_dir,
        run_dir=config.run_dir,
        db_host=_quoted(config.db_host),
        db_port=config.db_port,
        db_user=_quoted(config.db_user),
        db_password=_quoted(config.db_password),
        db_name=_quoted(config.db_name),
        auth_port=config.auth_port,
        acct_port=config.acct_port,
        coa_port=config.coa_port,
        secret=_quoted(config.secret),
        client_ip=config.client_ip,
        read_clients="yes" if config.read_clients else "no",
        coa_policy="\n".join(
            "\t\t" + line for line in COA_POLICIES[config.coa_policy].splitlines()
        ),
    )
    shutil.rmtree(config.raddb_dir, ignore_errors=True)
    shutil.rmtree(config.log_dir, ignore_errors=True)
    for directory in (config.raddb_dir, config.log_dir, config.run_dir / "run"):
        directory.mkdir(parents=True, exist_ok=True)
    path = config.raddb_dir / "radiusd.conf"
    path.touch(mode=0o600)
    path.write_text(text)
    return path


def pidfile(run_dir: Path) -> Path:
    """Where the server started from ``run_dir`` writes its PID."""
    return run_dir / "radiusd.pid"


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start(config: PeerConfig) -> int:
    """Start a peer and return its PID once it serves requests.

    The server daemonizes and its parent exits only after every listener is
    bound and the sql module has connected, so a port clash, a bad database
    password or a configuration error fails here. Raises RuntimeError with the
    end of the server's log when it does not come up, or when a server started
    from ``run_dir`` still runs.
    """
    radiusd = shutil.which("freeradius") or shutil.which("radiusd")
    if radiusd is None:
        raise RuntimeError("FreeRADIUS is not installed (Debian: freeradius freeradius-postgresql)")
    if not os.access(STOCK_DIR / "radiusd.conf", os.R_OK):
        raise RuntimeError(f"cannot read {STOCK_DIR}: run as root or in the group freerad")
    pid_path = pidfile(config.run_dir)
    if pid_path.exists() and _running(pid := int(pid_path.read_text())):
        raise RuntimeError(f"a peer from {config.run_dir} still runs (pid {pid})")
    write_config(config)
    with (config.log_dir / "stdout.log").open("w") as output:
        started = subprocess.run(
            [radiusd, "-d", str(config.raddb_dir)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=60,
        )
    if started.returncode != 0 or not pid_path.exists():
        logs = [config.log_dir / "stdout.log", config.log_dir / "radius.log"]
        tail = "\n".join(
            line for log in logs if log.exists() for line in log.read_text().splitlines()[-20:]
        )
        raise RuntimeError(f"FreeRADIUS did not start (exit {started.returncode}):\n{tail}")
    return int(pid_path.read_text())


def stop(pid: int, run_dir: Path) -> None:
    """Stop the peer ``pid`` started from ``run_dir``: SIGTERM, then SIGKILL
    after ``STOP_GRACE_SECONDS``. Nothing happens when it has already exited.

    Raises RuntimeError when ``pid`` is a process other than that server, so a
    reused PID is never signalled.
    """
    if not _running(pid):
        return
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if str(run_dir / "raddb").encode() not in command:
        raise RuntimeError(f"pid {pid} is not the FreeRADIUS peer of {run_dir}; not stopping it")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(pid):
        os.kill(pid, signal.SIGKILL)
    pidfile(run_dir).unlink(missing_ok=True)
