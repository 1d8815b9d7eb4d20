"""`ispstack backup DIR` and `ispstack restore FILE`: a database with data and
its media files go into one archive and come back whole into a new database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.radius.models import RadCheck
from tests.integration.test_billing_sigkill import _database_url

pytestmark = pytest.mark.django_db(transaction=True)

COUNTS = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
"""


def ispstack(*args: str, database_url: str, media: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media)}
    return subprocess.run(
        [sys.executable, "-m", "ispstack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def table_counts(cursor) -> dict[str, int]:
    cursor.execute(COUNTS)
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def new_database():
    """An empty database on the same server, dropped afterwards."""
    name = f"ispstack_restore_{uuid.uuid4().hex[:12]}"
    base = _database_url()
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def world(tenant, make_subscription, settings):
    """Subscribers with RADIUS rows, invoices, and files in the media folder."""
    for _ in range(3):
        make_subscription(tenant)
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    media = Path(settings.MEDIA_ROOT)
    (media / "proofs").mkdir(parents=True, exist_ok=True)
    (media / "proofs" / "transfer.pdf").write_bytes(b"%PDF-1.4 proof of payment\n")
    (media / "logos").mkdir(parents=True, exist_ok=True)
    (media / "logos" / "isp.png").write_bytes(bytes(range(256)))
    return tenant


def test_a_backup_restores_into_a_new_database_with_the_same_rows_and_files(
    world, settings, tmp_path, new_database
):
    media = Path(settings.MEDIA_ROOT)
    media_files = {p.relative_to(media): p.read_bytes() for p in media.rglob("*") if p.is_file()}
    assert len(media_files) >= 2
    with connection.cursor() as cursor:
        before = table_counts(cursor)
    invoices = sorted(Invoice.objects.values_list("number", "total"))
    passwords = sorted(RadCheck.objects.values_list("username", "attribute", "value"))
    assert len(invoices) == 3 and len(passwords) >= 3

    made = ispstack("backup", str(tmp_path / "backups"), database_url=_database_url(), media=media)
    assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.strip())
    assert archive.parent == tmp_path / "backups"
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "database.dump", "media/proofs/transfer.pdf"} <= set(
            tar.getnames()
        )

    restored_media = tmp_path / "restored-media"
    done = ispstack("restore", str(archive), database_url=new_database, media=restored_media)
    assert done.returncode == 0, done.stderr
    assert f"and {len(media_files)} media files" in done.stdout

    with psycopg.connect(new_database) as conn, conn.cursor() as cursor:
        after = table_counts(cursor)
        cursor.execute("SELECT number, total FROM billing_invoice ORDER BY number")
        restored_invoices = cursor.fetchall()
        cursor.execute("SELECT username, attribute, value FROM radcheck ORDER BY 1, 2, 3")
        restored_passwords = cursor.fetchall()
    assert after == before
    assert sum(after.values()) > 50
    assert restored_invoices == invoices
    assert restored_passwords == passwords
    assert {
        p.relative_to(restored_media): p.read_bytes()
        for p in restored_media.rglob("*")
        if p.is_file()
    } == media_files

    # The restored database is at head: nothing left to migrate.
    plan = ispstack("migrate", "--plan", database_url=new_database, media=restored_media)
    assert plan.returncode == 0, plan.stderr
    assert "No planned migration operations." in plan.stdout


def test_restore_refuses_a_database_that_holds_tables(world, settings, tmp_path):
    media = Path(settings.MEDIA_ROOT)
    made = ispstack("backup", str(tmp_path), database_url=_database_url(), media=media)
    assert made.returncode == 0, made.stderr
    invoices = Invoice.objects.count()
    refused = ispstack(
        "restore", made.stdout.strip(), database_url=_database_url(), media=tmp_path / "m"
    )
    assert refused.returncode != 0
    assert "already holds tables" in refused.stderr
    assert Invoice.objects.count() == invoices


def test_restore_refuses_a_file_that_is_no_backup(tmp_path, new_database):
    stray = tmp_path / "notes.tar"
    with tarfile.open(stray, "w") as tar:
        readme = tmp_path / "README"
        readme.write_text("hello")
        tar.add(readme, arcname="README")
    refused = ispstack("restore", str(stray), database_url=new_database, media=tmp_path / "m")
    assert refused.returncode != 0
    assert "not an ispstack backup" in refused.stderr
