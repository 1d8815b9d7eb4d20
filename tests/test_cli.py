"""The ispstack command: billing, collections, radius and the demo."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ispstack.billing.models import Invoice
from ispstack.radius.models import RadCheck

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_billing_and_collections_commands(tenant, make_subscription):
    make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    out = _run("billing", "run", "--as-of", "2026-01-01", "--tenant", tenant.slug)
    assert f"{tenant.slug}: billing 2026-01-01: 1 invoices (35.70 EUR), 0 failures" in out
    assert Invoice.objects.filter(tenant=tenant).count() == 1
    out = _run("collections", "run", "--as-of", "2026-01-26", "--tenant", tenant.slug)
    assert "1 reminders, 1 suspended, 0 reconnected" in out


def test_bad_options_name_the_option(tenant):
    with pytest.raises(CommandError, match="--as-of"):
        _run("billing", "run", "--as-of", "yesterday")
    with pytest.raises(CommandError, match="--tenant"):
        _run("billing", "run", "--tenant", "no-such-isp")


def test_radius_sync_rebuilds_rows_and_removes_orphans(tenant, make_subscription):
    sub = make_subscription(tenant)
    RadCheck.objects.filter(username=sub.username).delete()
    RadCheck.objects.create(
        tenant=tenant,
        username="ghost@isp.example",
        attribute="Cleartext-Password",
        op=":=",
        value="x",
    )
    out = _run("radius", "sync", "--tenant", tenant.slug)
    assert "1 subscriptions synced, 1 orphan rows removed" in out
    assert RadCheck.objects.filter(username=sub.username).count() == 1
    assert not RadCheck.objects.filter(username="ghost@isp.example").exists()


def test_demo_simulates_and_summarises():
    out = _run("demo", "--subscribers", "6", "--months", "2", "--end", "2026-06-30")
    assert "Summary 2026-04-01 .. 2026-06-30" in out
    assert "subscribers     6" in out
    for label in (
        "invoices",
        "revenue",
        "paid",
        "overdue",
        "suspensions",
        "reconnected",
        "invoice PDFs",
        "admin login",
    ):
        assert label in out
    from ispstack.core.models import Tenant

    demo = Tenant.objects.get(slug="demo")
    assert Invoice.objects.filter(tenant=demo).count() >= 12
    _run("demo", "--subscribers", "2", "--months", "1", "--end", "2026-06-30")  # re-runnable
    assert Tenant.objects.filter(slug="demo").count() == 1
