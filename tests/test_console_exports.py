"""Exports of console lists run as background jobs: the request only queues
them, the page follows the job, the file holds the filtered rows, and only
the clerk who asked may download it, until it expires."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.console import exports
from ispstack.console.models import Export
from ispstack.core import clock
from ispstack.core.models import Job
from tests.console_export import exported, run, start

pytestmark = pytest.mark.django_db


def _invoices(tenant, customer, count: int) -> list[Invoice]:
    return Invoice.objects.bulk_create(
        Invoice(
            tenant=tenant,
            customer=customer,
            number=f"INV-X-{n:05d}",
            issue_date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
            due_date=dt.date(2026, 2, 1),
            currency="EUR",
            subtotal=Decimal(n % 97),
            tax_total=Decimal("0"),
            total=Decimal(n % 97),
        )
        for n in range(count)
    )


@pytest.fixture
def world(make_tenant, make_customer, make_staff):
    tenant, other_tenant = make_tenant(name="Mine"), make_tenant(name="Other")
    customer = make_customer(tenant, name="Export Person")
    made = _invoices(tenant, customer, 250)
    _invoices(other_tenant, make_customer(other_tenant, name="Foreign Person"), 3)
    return {
        "tenant": tenant,
        "made": made,
        "clerk": make_staff(tenant, "billing"),
        "colleague": make_staff(tenant, "billing"),
        "foreign": make_staff(other_tenant, "admin"),
    }


def test_an_export_is_queued_as_a_job_and_its_page_follows_it(client: Client, world):
    client.force_login(world["clerk"])
    client.get("/staff/invoices/")  # the session, templates and permissions loaded first
    started = time.monotonic()
    export = start(client, "/staff/invoices/", "csv", total_min="50", sort="-total")
    assert time.monotonic() - started < 1.0
    # Nothing written in the request: the job does it.
    assert export.status == "queued" and not export.file
    job = Job.objects.get(kind="console.export")
    assert (job.status, job.payload) == ("pending", {"export_id": export.pk})
    page = client.get(f"/staff/exports/{export.pk}/").content.decode()
    assert 'data-state="queued"' in page and 'hx-trigger="every 1s"' in page
    assert "/download/" not in page
    assert client.get(f"/staff/exports/{export.pk}/download/").status_code == 404

    run(export)
    fragment = client.get(f"/staff/exports/{export.pk}/progress/").content.decode()
    assert 'data-state="done"' in fragment and "hx-trigger" not in fragment
    wanted = sorted((i for i in world["made"] if i.total >= 50), key=lambda i: (-i.total, -i.pk))
    assert f"{len(wanted)} of {len(wanted)} rows" in fragment
    assert f"/staff/exports/{export.pk}/download/" in fragment

    answer = client.get(f"/staff/exports/{export.pk}/download/")
    assert answer["Content-Disposition"].startswith('attachment; filename="invoices-')
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    # The file is the filtered list in its sort, every page of it.
    assert [row["Number"] for row in rows] == [i.number for i in wanted]
    assert "Foreign Person" not in str(rows)


def test_a_spreadsheet_export_holds_the_filtered_rows_as_numbers(client: Client, world):
    client.force_login(world["clerk"])
    content = exported(client, "/staff/invoices/", "xlsx", total_min="90")
    values = list(openpyxl.load_workbook(io.BytesIO(content), read_only=True).active.values)
    header, body = values[0], values[1:]
    wanted = [i for i in world["made"] if i.total >= 90]
    assert len(body) == len(wanted)
    total = header.index("Total")
    assert sum(Decimal(str(row[total])) for row in body) == sum(i.total for i in wanted)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_name_that_looks_like_a_formula_is_exported_as_text(client: Client, world, kind):
    from ispstack.customers.models import Customer

    Customer.objects.filter(name="Export Person").update(name='=HYPERLINK("http://x","y")')
    client.force_login(world["clerk"])
    content = exported(client, "/staff/invoices/", kind, total_min="96")
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(content.decode())))
    else:
        rows = list(openpyxl.load_workbook(io.BytesIO(content), read_only=True).active.values)
    customer = rows[0].index("Customer")
    assert {row[customer] for row in rows[1:]} == {'\'=HYPERLINK("http://x","y")'}


def test_only_the_clerk_who_asked_may_see_or_download_the_export(client: Client, world):
    client.force_login(world["clerk"])
    export = run(start(client, "/staff/invoices/", "csv"))
    assert export.status == "done"
    urls = [f"/staff/exports/{export.pk}/{end}" for end in ("", "progress/", "download/")]
    for user in (world["colleague"], world["foreign"]):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [404, 404, 404]


def test_my_exports_lists_the_clerks_own_unexpired_exports_with_their_files(client: Client, world):
    client.force_login(world["clerk"])
    done = run(start(client, "/staff/invoices/", "csv"))
    queued = start(client, "/staff/invoices/", "xlsx", total_min="50")
    expired = run(start(client, "/staff/invoices/", "csv", total_min="90"))
    Export.objects.filter(pk=expired.pk).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    Export.objects.filter(pk=done.pk).update(filename="mine-done.csv")
    Export.objects.filter(pk=queued.pk).update(filename="mine-queued.xlsx")

    page = client.get("/staff/exports/").content.decode()
    assert f'href="/staff/exports/{done.pk}/download/"' in page and "mine-done.csv" in page
    assert f'href="/staff/exports/{queued.pk}/"' in page and "mine-queued.xlsx" in page
    assert f"/staff/exports/{expired.pk}/" not in page
    assert 'href="/staff/exports/"' in client.get("/staff/").content.decode()
    # A colleague and another tenant's admin see none of them.
    for user in (world["colleague"], world["foreign"]):
        client.force_login(user)
        other = client.get("/staff/exports/").content.decode()
        assert "mine-done.csv" not in other and "You have no exports" in other


def test_the_platform_operator_acts_in_no_tenant_so_makes_no_export(
    client: Client, world, make_staff
):
    client.force_login(make_staff(None, "", is_superuser=True))
    assert "Export CSV" not in client.get("/staff/invoices/").content.decode()
    answer = client.post("/staff/invoices/", {"export": "csv"})
    assert answer.status_code == 404 and not Export.objects.exists()


def test_an_expired_export_is_gone_and_purged_with_its_file(client: Client, world):
    client.force_login(world["clerk"])
    export = run(start(client, "/staff/invoices/", "csv"))
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    Export.objects.filter(pk=export.pk).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    assert client.get(f"/staff/exports/{export.pk}/download/").status_code == 404
    assert exports.purge_expired_exports() == 1
    assert not Export.objects.filter(pk=export.pk).exists() and not storage.exists(name)


def test_a_big_export_is_written_in_chunks_with_progress(client: Client, world, monkeypatch):
    seen = []
    real = Export.objects.filter

    monkeypatch.setattr(exports, "PROGRESS_EVERY", 100)

    def spy(*args, **kwargs):
        query = real(*args, **kwargs)
        if "pk" in kwargs:
            seen.append(kwargs["pk"])
        return query

    monkeypatch.setattr(Export.objects, "filter", spy)
    client.force_login(world["clerk"])
    content = exported(client, "/staff/invoices/", "xlsx")
    assert len(list(openpyxl.load_workbook(io.BytesIO(content)).active.values)) == 251
    # Progress written at 100 and 200 rows, besides the start and the end.
    assert len(seen) >= 4


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_export_runs_in_the_background_and_its_page_offers_the_file(
    live_server, chromium, make_tenant, make_customer, make_staff, settings
):
    from tests.console_browser import log_in, serious_violations

    settings.CELERY_BROKER_URL = ""  # the web process's background thread runs the job
    tenant = make_tenant()
    _invoices(tenant, make_customer(tenant, name="Export Person"), 30)
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, make_staff(tenant, "billing"))
        page.goto(f"{live_server.url}/staff/invoices/?total_min=10")
        assert serious_violations(page) == []
        page.click("button[name=export][value=xlsx]")
        page.wait_for_url(f"{live_server.url}/staff/exports/**")
        # The page polls until the thread's job is done, then offers the file.
        page.wait_for_selector("#export-progress[data-state=done]", timeout=20_000)
        assert "Download invoices-" in page.inner_text("main")
        assert serious_violations(page) == []
        with page.expect_download() as download:
            page.click("text=Download")
        assert download.value.suggested_filename.endswith(".xlsx")
        with open(download.value.path(), "rb") as handle:
            rows = list(openpyxl.load_workbook(io.BytesIO(handle.read())).active.values)
        assert len(rows) == 1 + 20  # the header and the invoices of 10.00 and more
    finally:
        page.close()
