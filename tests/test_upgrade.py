"""A database made by the previous release migrates to this code's head with
its data intact (tests/fixtures/upgrade/README.md says how the dump was made)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import psycopg.rows
import psycopg.types.json
import pytest

from ispstack.ops.backup import client_program
from tests.integration.test_billing_sigkill import _database_url

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).with_name("fixtures") / "upgrade"

# What the data of 0.1.0's demo looks like, read with plain SQL before and
# after the migration: the tables an ISP cannot lose.
SNAPSHOT = {
    "customers": "SELECT account_number, name, email FROM customers_customer ORDER BY 1",
    "invoices": "SELECT number, status, total, issue_date FROM billing_invoice ORDER BY number",
    "invoice_total": "SELECT sum(total) FROM billing_invoice",
    "payments": "SELECT amount, reference FROM payments_payment ORDER BY id",
    "subscriptions": "SELECT username, status FROM subscriptions_subscription ORDER BY username",
    "radcheck": "SELECT username, attribute, op, value FROM radcheck ORDER BY 1, 2, 4",
    "radreply": "SELECT username, attribute, op, value FROM radreply ORDER BY 1, 2, 4",
    "radusergroup": "SELECT username, groupname FROM radusergroup ORDER BY 1, 2",
    "radgroupreply": "SELECT groupname, attribute, value FROM radgroupreply ORDER BY 1, 2, 3",
    "radacct": "SELECT count(*), sum(acctinputoctets + acctoutputoctets) FROM radacct",
}


def snapshot(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        result = {}
        for name, sql in SNAPSHOT.items():
            cursor.execute(sql)
            result[name] = cursor.fetchall()
        return result


@pytest.fixture
def release_database():
    """A new database holding the 0.1.0 fixture; dropped afterwards."""
    name = f"ispstack_upgrade_{uuid.uuid4().hex[:12]}"
    base = _database_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    try:
        loaded = subprocess.run(
            [client_program("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
            input=gzip.decompress((FIXTURES / "0.1.0.sql.gz").read_bytes()),
            capture_output=True,
            timeout=300,
        )
        assert loaded.returncode == 0, loaded.stderr.decode()[-3000:]
        yield url
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ispstack(*args: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "ISPSTACK_VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "ispstack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


# Settings an ISP chose on 0.1.0's tenant row (the demo kept the defaults, so
# the test sets others first); after the upgrade they live in each app's own
# settings table (``core.tenant_settings``) and must be unchanged.
CHOSEN_SETTINGS = {
    "billing_billingsettings": {
        "invoice_net_days": 21,
        "proration_billing": "immediate",
        "prices_include_tax": True,
        "tax_rounding": "invoice",
        "bill_suspended_days": False,
        "credit_on_termination": False,
        "invoice_number_format": "R{year}/{seq:06d}",
        "credit_note_number_format": "G{year}/{seq:04d}",
    },
    "subscriptions_subscriptionsettings": {"allowed_billing_days": [1, 15]},
    "customers_customersettings": {"account_number_format": "K-{year}-{seq:06d}"},
    "radius_radiussettings": {
        "suspension_mode": "walled_garden",
        "default_nas_type": "cisco",
        "walled_garden_address_list": "unpaid",
    },
    "payments_directdebitsettings": {
        "sepa_creditor_id": "DE98ZZZ09999999999",
        "sepa_creditor_iban": "DE89370400440532013000",
        "sepa_creditor_bic": "COBADEFFXXX",
        "direct_debit_return_fee": Decimal("3.50"),
    },
}


def choose_settings(url: str) -> None:
    """Write ``CHOSEN_SETTINGS`` onto the 0.1.0 tenant row, where 0.1.0 kept them."""
    values = {name: v for fields in CHOSEN_SETTINGS.values() for name, v in fields.items()}
    values["allowed_billing_days"] = psycopg.types.json.Jsonb(values["allowed_billing_days"])
    assignments = ", ".join(f"{name} = %({name})s" for name in values)
    with psycopg.connect(url, autocommit=True) as conn:
        updated = conn.execute(f"UPDATE core_tenant SET {assignments}", values)
        assert updated.rowcount == 1


def settings_after_upgrade(url: str) -> dict[str, list[dict[str, object]]]:
    """Each settings table's rows, as ``{table: [{column: value}]}``, per tenant slug."""
    found: dict[str, list[dict[str, object]]] = {}
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        for table, fields in CHOSEN_SETTINGS.items():
            cursor.execute(f"SELECT {', '.join(fields)} FROM {table} ORDER BY tenant_id")
            found[table] = cursor.fetchall()
    return found


def test_the_0_1_0_database_migrates_to_head_with_its_data(release_database, tmp_path):
    choose_settings(release_database)
    before = snapshot(release_database)
    # The fixture is the demo described in its README, not an empty schema.
    assert len(before["customers"]) == 12
    assert len(before["invoices"]) == 37
    assert before["invoice_total"] == [(Decimal("21365.5400"),)]
    assert len(before["radcheck"]) == 13 and before["radacct"][0][0] > 0

    pending = ispstack("migrate", "--plan", url=release_database, tmp_path=tmp_path)
    assert pending.returncode == 0, pending.stderr
    assert "No planned migration operations." not in pending.stdout

    migrated = ispstack("migrate", "--noinput", url=release_database, tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    assert snapshot(release_database) == before
    # The tenant's settings moved to the apps' tables with the values chosen.
    assert settings_after_upgrade(release_database) == {
        table: [fields] for table, fields in CHOSEN_SETTINGS.items()
    }
    plan = ispstack("migrate", "--plan", url=release_database, tmp_path=tmp_path)
    assert "No planned migration operations." in plan.stdout
    # The upgraded database serves this code: its own consistency check passes
    # and the models read the old rows.
    check = ispstack("check", "--database", "default", url=release_database, tmp_path=tmp_path)
    assert check.returncode == 0, check.stderr
    rollup = ispstack("radius", "rollup", url=release_database, tmp_path=tmp_path)
    assert rollup.returncode == 0, rollup.stderr
