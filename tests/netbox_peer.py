"""A real NetBox for the IPAM adapter's tests, on 127.0.0.1 only.

NetBox is the ``netbox`` package from PyPI (pinned: ``NETBOX_VERSION``). It
needs Python >= 3.12, so it lives in a virtualenv of its own, made by this
module from the first ``python3.12`` it finds (PATH, then pyenv). Everything
slow happens once per machine and is cached under
``${XDG_CACHE_HOME:-~/.cache}/ispstack/netbox/``:

1. the virtualenv (``pip install netbox==NETBOX_VERSION``: about 1.5 minutes);
2. ``netbox setup --target <cache>/root`` and our ``conf/configuration.py``,
   which reads the database, Redis and keys from the environment;
3. the schema: the migrated database this repository ships for the pinned
   version (``tests/fixtures/netbox/migrated-<version>.dump``, ``pg_dump
   -Fc`` of ``netbox migrate`` on an empty database) restored into a scratch
   database. ``netbox migrate`` itself takes about 11 minutes of CPU (45 of
   wall time on a machine busy with other work, a core taken from the tests
   on a two-core CI machine), so it runs only for a version without a
   shipped dump, which ``prepare`` then writes there to be committed;
4. a superuser with a v2 API token added to it, dumped again as
   ``seed-<version>.dump``, the token beside it in ``seed-<version>.json``.

NetBox's migrations create an ICU collation, so the server must be built
with ICU. The test server usually is (Debian's is); the embedded one ispstack
uses without ``DATABASE_URL`` is not, and then NetBox gets a private cluster
of Debian's PostgreSQL (``icu_server``: initdb in a temporary directory, run
as the ``postgres`` user when we are root, stopped and removed at the end).

Each run then restores the dump into a database of its own on that
PostgreSQL server (a few seconds), starts a private ``redis-server`` and
NetBox under gunicorn on free ports, and drops it all at the end; processes
are stopped by their PID. A file lock keeps two pytest workers from building
the cache at once.

``make netbox-peer`` (``python tests/netbox_peer.py prepare``) builds the
cache ahead of a test run, on the PostgreSQL server ispstack's settings name;
the ``netbox`` pytest fixture does the same on first use.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NETBOX_VERSION = "4.7.3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ispstack" / "netbox"
VENV = CACHE / f"venv-{NETBOX_VERSION}"
ROOT = CACHE / "root"
MIGRATED = CACHE / f"migrated-{NETBOX_VERSION}.dump"
SHIPPED = Path(__file__).parent / "fixtures" / "netbox" / f"migrated-{NETBOX_VERSION}.dump"
DUMP = CACHE / f"seed-{NETBOX_VERSION}.dump"
SEED_INFO = CACHE / f"seed-{NETBOX_VERSION}.json"
LOCK = CACHE / ".lock"
# Test-only keys: the instance holds nothing but what the tests write, and
# the token's pepper must stay the same between the seed and later runs.
SECRET_KEY = "ispstack-netbox-test-peer-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
PEPPER = "ispstack-netbox-test-peer-token-pepper-0123456789abcdefghijklmnopqrstuvwxyz"

CONFIGURATION = '''"""NetBox configuration of ispstack's test peer (tests/netbox_peer.py)."""
import os

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["NETBOX_DB_NAME"],
        "USER": os.environ.get("NETBOX_DB_USER", ""),
        "PASSWORD": os.environ.get("NETBOX_DB_PASSWORD", ""),
        "HOST": os.environ.get("NETBOX_DB_HOST", ""),
        "PORT": os.environ.get("NETBOX_DB_PORT", ""),
        "CONN_MAX_AGE": 300,
    }
}
_redis_port = int(os.environ["NETBOX_REDIS_PORT"])
REDIS = {
    "tasks": {"HOST": "127.0.0.1", "PORT": _redis_port, "DATABASE": 0, "SSL": False},
    "caching": {"HOST": "127.0.0.1", "PORT": _redis_port, "DATABASE": 1, "SSL": False},
}
SECRET_KEY = os.environ["NETBOX_SECRET_KEY"]
API_TOKEN_PEPPERS = {1: os.environ["NETBOX_TOKEN_PEPPER"]}
DEBUG = False
LOGIN_REQUIRED = True
TIME_ZONE = "UTC"
'''

# Run by ``netbox shell``; idempotent. The token goes to a file, not stdout,
# which NetBox's shell also writes to.
SEED_USER_SCRIPT = """
import json, os
from users.models import Token, User
user = User.objects.filter(username="ispstack").first() or User.objects.create_superuser(
    "ispstack", "ispstack@example.invalid", "ispstack-test-peer"
)
Token.objects.filter(user=user).delete()
token = Token(user=user, version=2, write_enabled=True, description="ispstack tests")
token.save()
with open(os.environ["NETBOX_SEED_TOKEN_FILE"], "w") as out:
    json.dump({"token": f"nbt_{token.key}.{token.token}"}, out)
"""


class NetBoxUnavailable(RuntimeError):
    """NetBox cannot run on this machine (no Python 3.12, no PostgreSQL with ICU)."""


@dataclass(frozen=True)
class PgServer:
    """Where the test PostgreSQL server is and how to log in (``host`` may be a
    Unix socket directory)."""

    host: str
    port: str
    user: str
    password: str
    #: Where its own client programs are ("": ``pg_tool``'s search).
    bin_dir: str = ""

    @classmethod
    def from_django(cls) -> PgServer:
        from django.conf import settings

        db = settings.DATABASES["default"]
        return cls(
            host=str(db.get("HOST") or ""),
            port=str(db.get("PORT") or ""),
            user=str(db.get("USER") or ""),
            password=str(db.get("PASSWORD") or ""),
        )

    def env(self) -> dict[str, str]:
        """libpq's environment for the PostgreSQL client programs."""
        return {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
        }

    def connect(self, *, autocommit: bool = False) -> Any:
        """A psycopg connection to its ``postgres`` database."""
        import psycopg

        return psycopg.connect(
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
            dbname="postgres",
            autocommit=autocommit,
        )

    def execute(self, sql: str) -> None:
        """Run ``sql`` in the ``postgres`` database."""
        with self.connect(autocommit=True) as conn:
            conn.execute(sql)

    def serves_netbox(self) -> bool:
        """Whether NetBox's schema can live here: the server was built with
        ICU (a collation of provider ICU can be created; PostgreSQL 16 and
        later list one even without) and has the ``ltree`` extension."""
        import psycopg

        with self.connect() as conn:
            try:
                conn.execute("CREATE COLLATION ispstack_icu_probe (provider = icu, locale = 'und')")
            except psycopg.Error:
                return False
            finally:
                conn.rollback()
            row = conn.execute(
                "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'ltree')"
            ).fetchone()
            return bool(row and row[0])


@dataclass(frozen=True)
class NetBox:
    """A running NetBox: its base URL and an API token with write access."""

    url: str
    token: str
    pid: int


def python312() -> str:
    """The path of a Python 3.12 interpreter: pyenv's (its PATH entry may be a
    shim that runs another version), else ``python3.12`` on PATH. Raises
    NetBoxUnavailable when there is none."""
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    for candidate in sorted(glob.glob(f"{pyenv_root}/versions/3.12*/bin/python3.12"), reverse=True):
        return candidate
    found = shutil.which("python3.12")
    if found and "/shims/" not in found:
        return found
    raise NetBoxUnavailable("NetBox needs Python 3.12 (under pyenv or python3.12 on PATH)")


def pg_tool(name: str, pg: PgServer) -> str:
    """``pg_dump`` / ``pg_restore``: the server's own (``pg.bin_dir``), else from
    ``PG_BIN_DIR`` when set, else PATH, else the newest Debian server's bin
    directory."""
    directory = pg.bin_dir or os.environ.get("PG_BIN_DIR")
    if directory:
        return str(Path(directory) / name)
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise RuntimeError(f"{name} (PostgreSQL client programs) is not installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def netbox_env(pg: PgServer, db_name: str, redis_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "NETBOX_ROOT": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "netbox.settings",
        "NETBOX_DB_NAME": db_name,
        "NETBOX_DB_USER": pg.user,
        "NETBOX_DB_PASSWORD": pg.password,
        "NETBOX_DB_HOST": pg.host,
        "NETBOX_DB_PORT": pg.port,
        "NETBOX_REDIS_PORT": str(redis_port),
        "NETBOX_SECRET_KEY": SECRET_KEY,
        "NETBOX_TOKEN_PEPPER": PEPPER,
    }


def _wait_for_port(port: int, process: subprocess.Popen[Any], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {port} within {seconds} s") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def redis_server() -> Iterator[int]:
    """A private redis-server on a free port, without persistence; yields the port."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="netbox-redis-") as directory:
        process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
            + ["--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(port, process, "redis-server", 10)
            yield port
        finally:
            _stop(process)


def _run(args: list[str], *, env: dict[str, str] | None = None, what: str) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}): {result.stderr[-3000:]}")
    return result.stdout


def ensure_installed() -> None:
    """The virtualenv with NetBox and the instance root with our configuration.
    Call with the lock held."""
    marker = VENV / ".installed"
    if not marker.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        _run([python312(), "-m", "venv", str(VENV)], what="python3.12 -m venv")
        _run(
            [str(VENV / "bin" / "pip"), "install", "-q", f"netbox=={NETBOX_VERSION}"],
            what=f"pip install netbox=={NETBOX_VERSION}",
        )
        marker.touch()
    if not (ROOT / "conf" / "__init__.py").exists():
        _run([str(VENV / "bin" / "netbox"), "setup", "--target", str(ROOT)], what="netbox setup")
    config = ROOT / "conf" / "configuration.py"
    if config.read_text() != CONFIGURATION:
        config.write_text(CONFIGURATION)


def _dump(pg: PgServer, db_name: str, target: Path) -> None:
    partial = target.with_suffix(".partial")
    _run(
        [pg_tool("pg_dump", pg), "-Fc", "--no-owner", "-f", str(partial), db_name],
        env={**os.environ, **pg.env()},
        what="pg_dump",
    )
    partial.rename(target)


def _restore(pg: PgServer, db_name: str, source: Path) -> None:
    _run(
        [pg_tool("pg_restore", pg), "--no-owner", "-d", db_name, str(source)],
        env={**os.environ, **pg.env()},
        what="pg_restore",
    )


def ensure_seed(pg: PgServer) -> None:
    """The dump of a migrated NetBox database with a superuser and its token.
    Call with the lock held. The schema is the shipped dump when there is one
    for the version; otherwise the migration (the slow part: about 11 minutes
    on an idle machine) is dumped on its own first, so a failure after it
    never repeats it."""
    if DUMP.exists() and SEED_INFO.exists():
        return
    db_name = f"netbox_seed_{os.getpid()}"
    pg.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    pg.execute(f'CREATE DATABASE "{db_name}"')
    try:
        with redis_server() as redis_port:
            env = netbox_env(pg, db_name, redis_port)
            netbox = str(VENV / "bin" / "netbox")
            if MIGRATED.exists():
                _restore(pg, db_name, MIGRATED)
            elif SHIPPED.exists():
                _restore(pg, db_name, SHIPPED)
            else:
                _run([netbox, "migrate", "--no-input", "-v0"], env=env, what="netbox migrate")
                _dump(pg, db_name, MIGRATED)
            token_file = CACHE / "token.json"
            _run(
                [netbox, "shell", "-c", SEED_USER_SCRIPT],
                env={**env, "NETBOX_SEED_TOKEN_FILE": str(token_file)},
                what="seed user",
            )
        _dump(pg, db_name, DUMP)
        token_file.rename(SEED_INFO)
    finally:
        pg.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def prepare(pg: PgServer) -> None:
    """Install NetBox and build the seed dump, once per machine."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_installed()
        ensure_seed(pg)


def debian_bin_dir() -> Path:
    """The bin directory of the newest Debian PostgreSQL server installed.
    Raises NetBoxUnavailable when there is none."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if not found:
        raise NetBoxUnavailable(
            "NetBox needs PostgreSQL built with ICU: install Debian's postgresql "
            "(make system-deps does) or point DATABASE_URL at a server built with ICU"
        )
    return Path(found[-1]).parent


@contextlib.contextmanager
def icu_server(pg: PgServer) -> Iterator[PgServer]:
    """``pg`` when it can hold NetBox's schema (``serves_netbox``); else, for
    the block, a private cluster of Debian's PostgreSQL on a free port of
    127.0.0.1 (trust authentication, no fsync: it holds nothing but test
    data), run as the ``postgres`` user when we are root, since PostgreSQL
    refuses to run as root."""
    if pg.serves_netbox():
        yield pg
        return
    bin_dir = debian_bin_dir()
    as_user: list[str] = []
    with tempfile.TemporaryDirectory(prefix="netbox-pg-") as directory:
        data = Path(directory) / "data"
        data.mkdir()
        if os.geteuid() == 0:
            as_user = ["runuser", "-u", "postgres", "--"]
            os.chmod(directory, 0o755)
            shutil.chown(data, "postgres", "postgres")
        _run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres"]
            + ["--auth=trust", "--encoding=UTF8", "--no-sync"],
            what="initdb",
        )
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off"
        _run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "log")]
            + ["-o", options, "-w", "start"],
            what="pg_ctl start",
        )
        try:
            yield PgServer("127.0.0.1", str(port), "postgres", "", bin_dir=str(bin_dir))
        finally:
            _run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                what="pg_ctl stop",
            )


@contextlib.contextmanager
def running_netbox(pg: PgServer) -> Iterator[NetBox]:
    """A NetBox of its own on 127.0.0.1: a database restored from the seed, a
    private Redis and gunicorn, all removed on exit."""
    prepare(pg)
    token = json.loads(SEED_INFO.read_text())["token"]
    db_name = f"netbox_peer_{os.getpid()}"
    pg.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    pg.execute(f'CREATE DATABASE "{db_name}"')
    try:
        _restore(pg, db_name, DUMP)
        with redis_server() as redis_port:
            port = free_port()
            fd, name = tempfile.mkstemp(prefix="netbox-", suffix=".log")
            log = Path(name)
            process = subprocess.Popen(
                [str(VENV / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}"]
                # One process loads NetBox once (the slow part on a busy
                # machine); threads serve the tests' few parallel calls.
                + ["--workers", "1", "--threads", "4", "--timeout", "120"]
                + ["--graceful-timeout", "3", "netbox.wsgi"],
                env=netbox_env(pg, db_name, redis_port),
                stdout=fd,
                stderr=subprocess.STDOUT,
            )
            os.close(fd)
            try:
                url = f"http://127.0.0.1:{port}"
                _wait_for_port(port, process, "NetBox's gunicorn", 60)
                _wait_for_api(url, token, process, log)
                yield NetBox(url=url, token=token, pid=process.pid)
            finally:
                _stop(process)
                log.unlink()
    finally:
        pg.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _wait_for_api(url: str, token: str, process: subprocess.Popen[Any], log: Path) -> None:
    """Until the API answers with the token (gunicorn listens before the
    workers have loaded Django)."""
    deadline = time.monotonic() + 90
    request = urllib.request.Request(
        f"{url}/api/status/", headers={"Authorization": f"Bearer {token}"}
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"NetBox's API did not answer: {log.read_text()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def netbox() -> Iterator[NetBox]:
    """A real NetBox on 127.0.0.1 for this test session (see the module's
    docstring). On a machine without Python 3.12 the NetBox tests fail with
    NetBoxUnavailable naming what is missing: they never skip, so no run
    counts a NetBox test it did not run as passed."""
    python312()
    with icu_server(PgServer.from_django()) as pg, running_netbox(pg) as peer:
        yield peer


if __name__ == "__main__":
    if sys.argv[1:] != ["prepare"]:
        sys.exit("usage: python tests/netbox_peer.py prepare")
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispstack.settings")
    django.setup()
    started = time.monotonic()
    with icu_server(PgServer.from_django()) as pg:
        prepare(pg)
    if not SHIPPED.exists() and MIGRATED.exists():
        SHIPPED.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MIGRATED, SHIPPED)
        print(f"NetBox {NETBOX_VERSION}'s migrated schema: {SHIPPED}, to commit")  # noqa: T201
    print(f"NetBox {NETBOX_VERSION} ready in {time.monotonic() - started:.0f} s: {CACHE}")  # noqa: T201
