"""`ispstack radius config DIR` writes a FreeRADIUS configuration that works:
the package's server started on the generated sql module, site and
clients.conf authenticates a subscriber of a NAS from our nas table."""

from __future__ import annotations

import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ispstack.network.nas import create_nas
from tests import freeradius as radius_peer
from tests.peers import FreeRadiusPeer, free_ports

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]

# What a distribution's radiusd.conf provides around the generated files: the
# paths, logging, the thread pool, and the stock modules and policies the site
# calls. It includes the generated clients.conf, sql module and site.
MAIN = """\
prefix = /usr
exec_prefix = /usr
sbindir = /usr/sbin
libdir = /usr/lib/freeradius
name = freeradius
stockdir = {stock}
raddbdir = {raddb}
confdir = ${{raddbdir}}
modconfdir = ${{stockdir}}/mods-config
logdir = {run}/log
run_dir = {run}/run
pidfile = {run}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no
proxy_requests = no
log {{
	destination = files
	file = ${{logdir}}/radius.log
	auth = yes
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}}
thread pool {{
	start_servers = 5
	max_servers = 32
	min_spare_servers = 3
	max_spare_servers = 10
	max_requests_per_server = 0
	auto_limit_acct = no
}}
$INCLUDE ${{confdir}}/clients.conf
modules {{
	$INCLUDE ${{stockdir}}/mods-available/always
	$INCLUDE ${{stockdir}}/mods-available/expr
	$INCLUDE ${{stockdir}}/mods-available/preprocess
	$INCLUDE ${{stockdir}}/mods-available/pap
	$INCLUDE ${{stockdir}}/mods-available/chap
	$INCLUDE ${{stockdir}}/mods-available/mschap
	$INCLUDE ${{stockdir}}/mods-available/expiration
	$INCLUDE ${{stockdir}}/mods-available/logintime
	$INCLUDE ${{stockdir}}/mods-available/attr_filter
	$INCLUDE ${{confdir}}/mods-available/sql
}}
policy {{
	$INCLUDE ${{stockdir}}/policy.d/
}}
$INCLUDE ${{confdir}}/sites-available/ispstack
"""

NAS_SECRET = "bras-7-shared-secret"


def start_generated(run: Path, auth: int, acct: int) -> int:
    """Start FreeRADIUS on ``run/raddb`` (generated config plus MAIN); its PID."""
    raddb = run / "raddb"
    (raddb / "radiusd.conf").write_text(
        MAIN.format(stock=radius_peer.STOCK_DIR, raddb=raddb, run=run)
    )
    for directory in (run / "log", run / "run"):
        directory.mkdir(parents=True, exist_ok=True)
    started = subprocess.run(
        ["freeradius", "-d", str(raddb)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pid_path = radius_peer.pidfile(run)
    log = run / "log" / "radius.log"
    assert started.returncode == 0 and pid_path.exists(), (
        started.stdout + started.stderr + (log.read_text()[-3000:] if log.exists() else "")
    )
    return int(pid_path.read_text())


def test_freeradius_on_the_generated_config_accepts_a_subscriber(tenant, make_subscription):
    sub = make_subscription(tenant, password="pppoe-pass-1")
    create_nas(
        tenant=tenant, nasname="127.0.0.1", shortname="bras-7", type="mikrotik", secret=NAS_SECRET
    )
    run = Path(tempfile.mkdtemp(prefix="ispstack-radius-config-"))
    auth, acct = free_ports(2)
    call_command(
        "radius",
        "config",
        str(run / "raddb"),
        "--listen-address",
        "127.0.0.1",
        "--auth-port",
        str(auth),
        "--acct-port",
        str(acct),
    )
    sql = (run / "raddb" / "mods-available" / "sql").read_text()
    assert f'radius_db = "{connection.settings_dict["NAME"]}"' in sql
    assert "read_clients = yes" in sql
    mode = stat.S_IMODE((run / "raddb" / "mods-available" / "sql").stat().st_mode)
    assert mode == 0o640
    assert "127.0.0.1 (bras-7, mikrotik)" in (run / "raddb" / "clients.conf").read_text()

    pid = start_generated(run, auth, acct)
    peer = FreeRadiusPeer(
        auth_port=auth, acct_port=acct, coa_port=0, run_dir=run, pid=pid, secret=NAS_SECRET
    )
    try:
        accepted = peer.authenticate(sub.username, "pppoe-pass-1")
        assert accepted.code == "Access-Accept"
        assert accepted.attributes["Mikrotik-Rate-Limit"] == "10M/50M"
        assert peer.authenticate(sub.username, "wrong-password").code == "Access-Reject"
        # The secret is the NAS's own from the nas table.
        assert peer.authenticate(sub.username, "pppoe-pass-1", "testing123").code == "no-reply"
    finally:
        radius_peer.stop(pid, run)
        # The run directory holds the database password.
        shutil.rmtree(run)


def test_a_bad_listen_address_or_port_is_refused(tmp_path):
    with pytest.raises(CommandError, match="listen_address: must be an IP address"):
        call_command("radius", "config", str(tmp_path), "--listen-address", "eth0")
    with pytest.raises(CommandError, match="auth_port: must be a UDP port"):
        call_command("radius", "config", str(tmp_path), "--auth-port", "70000")
    assert not (tmp_path / "mods-available").exists()
