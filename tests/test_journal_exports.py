"""Journal exports, the API's journal entries and the console's Journal page.

The Xero file is checked against Xero's published manual journal import
specification (Xero Central, "Enter multiple manual journals using an
import template", the template of Adviser > Manual Journals > Import),
encoded below: the columns and their order, which are mandatory, the date
format (dd/mm/yyyy or dd mmm yyyy; the export writes the second, which
no regional setting reads month first), a signed amount (positive debit, negative credit),
rows of one journal sharing narration and date and balancing, at most 300
lines per file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest

from ispstack.accounting import exports
from ispstack.accounting.journal.selectors import date_range, month_range
from ispstack.accounting.journal.services import export_journal, post_journal
from ispstack.accounting.models import JournalEntry
from ispstack.accounting.services import close_month
from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock
from ispstack.payments.services import record_payment

pytestmark = pytest.mark.django_db
D = dt.date

# Xero's manual journal import template: (column, mandatory), in file order.
XERO_SPEC = [
    ("Narration", True),
    ("Date", True),
    ("Description", False),
    ("AccountCode", True),
    ("TaxRate", True),
    ("Amount", True),
    ("TrackingName1", False),
    ("TrackingOption1", False),
    ("TrackingName2", False),
    ("TrackingOption2", False),
]
XERO_DATE = re.compile(r"^\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$")
XERO_AMOUNT = re.compile(r"^-?\d+\.\d{2}$")  # signed, decimal point, no separators
XERO_MAX_LINES = 300


@pytest.fixture
def booked(tenant, make_subscription):
    """January 2026: an invoice of 35.70 (30.00 + 19 % VAT) and a payment of
    35.70 by bank transfer, posted."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    record_payment(
        tenant=tenant,
        customer=sub.customer,
        amount="35.70",
        received_on="2026-01-05",
        reference="=HYPERLINK(1)",
    )
    post_journal(tenant=tenant, through=D(2026, 1, 31))
    return invoice


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def test_the_general_csv_has_one_row_per_line(tenant, booked):
    export = export_journal(tenant=tenant, period=month_range("2026-01"))
    assert export.filename == f"journal-{tenant.slug}-2026-01.csv"
    assert export.content_type == "text/csv"
    header, *rows = rows_of(export.content)
    assert header == [
        "date", "entry_number", "account_code", "account_name",
        "debit", "credit", "currency", "memo", "source",
    ]  # fmt: skip
    account = booked.customer.account_number
    assert rows == [
        ["2026-01-01", "JE-2026-000001", "1200", "Accounts receivable", "35.70", "0.00", "EUR",
         f"Invoice {booked.number} to {account}", f"invoice {booked.number} issue"],
        ["2026-01-01", "JE-2026-000001", "2100", "Deferred revenue", "0.00", "30.00", "EUR",
         f"Invoice {booked.number} to {account}", f"invoice {booked.number} issue"],
        ["2026-01-01", "JE-2026-000001", "2200", "VAT payable", "0.00", "5.70", "EUR",
         f"Invoice {booked.number} to {account}", f"invoice {booked.number} issue"],
        ["2026-01-05", "JE-2026-000002", "1100", "Bank", "35.70", "0.00", "EUR",
         f"Payment (Bank transfer) from {account}, =HYPERLINK(1)",
         "payment =HYPERLINK(1) receipt"],
        ["2026-01-05", "JE-2026-000002", "1200", "Accounts receivable", "0.00", "35.70", "EUR",
         f"Payment (Bank transfer) from {account}, =HYPERLINK(1)",
         "payment =HYPERLINK(1) receipt"],
    ]  # fmt: skip
    assert sum(Decimal(r[4]) for r in rows) == sum(Decimal(r[5]) for r in rows)


def test_a_range_exports_only_its_booking_days(tenant, booked):
    export = export_journal(tenant=tenant, period=date_range(D(2026, 1, 2), D(2026, 1, 31)))
    assert export.filename == f"journal-{tenant.slug}-2026-01-02_2026-01-31.csv"
    assert {row[1] for row in rows_of(export.content)[1:]} == {"JE-2026-000002"}


def test_the_xero_file_meets_xeros_import_specification(tenant, booked):
    export = export_journal(tenant=tenant, period=month_range("2026-01"), layout="xero")
    assert export.filename == f"journal-{tenant.slug}-2026-01-xero-EUR.csv"
    header, *rows = rows_of(export.content)
    assert header == [f"*{name}" if required else name for name, required in XERO_SPEC]
    assert 0 < len(rows) <= XERO_MAX_LINES
    journals: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        assert len(row) == len(XERO_SPEC)
        for (name, required), value in zip(XERO_SPEC, row, strict=True):
            assert value or not required, f"{name} is mandatory"
        narration, date, _description, code, tax_rate, amount = row[:6]
        assert XERO_DATE.match(date)
        assert XERO_AMOUNT.match(amount)
        assert code.isalnum()
        assert tax_rate == "No Tax"  # Germany has no Xero edition: the generic name
        journals[(narration, date)] = journals.get((narration, date), Decimal(0)) + Decimal(amount)
    assert all(total == 0 for total in journals.values())
    invoice_rows = [r for r in rows if r[0].startswith("JE-2026-000001 ")]
    assert [(r[1], r[3], r[5]) for r in invoice_rows] == [
        ("01 Jan 2026", "1200", "35.70"),
        ("01 Jan 2026", "2100", "-30.00"),
        ("01 Jan 2026", "2200", "-5.70"),
    ]


def test_a_long_xero_export_is_split_between_journals(tenant, booked, monkeypatch):
    monkeypatch.setattr(exports, "XERO_MAX_LINES", 4)
    export = export_journal(tenant=tenant, period=month_range("2026-01"), layout="xero")
    assert export.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        names = archive.namelist()
        parts = [rows_of(archive.read(name)) for name in names]
    assert names == [f"journal-{tenant.slug}-2026-01-xero-EUR-{n}.csv" for n in (1, 2)]
    assert [len(rows) - 1 for rows in parts] == [3, 2]  # a journal is never split
    assert all(rows[0][0] == "*Narration" for rows in parts)


def test_the_xero_tax_rate_follows_the_country(make_tenant, make_subscription):
    tenant = make_tenant(country="GB", currency="GBP")
    make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    export = export_journal(tenant=tenant, period=month_range("2026-01"), layout="xero")
    assert {row[4] for row in rows_of(export.content)[1:]} == {"No VAT"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"layout": "datev"}, "layout"), ({"currency": "EURO"}, "currency")],
)
def test_export_bad_input(tenant, kwargs, field):
    from ispstack.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        export_journal(tenant=tenant, period=month_range("2026-01"), **kwargs)
    assert err.value.field == field


def test_export_posts_what_is_due_first(tenant, make_subscription):
    make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert not JournalEntry.objects.exists()
    export_journal(tenant=tenant, period=month_range("2026-01"))
    assert JournalEntry.objects.filter(source_type="invoice").count() == 1


def test_the_api_lists_entries_with_lines_and_exports(tenant, booked, api_client_for):
    client = api_client_for(tenant, "billing")
    body = client.get("/api/v1/journal-entries/", {"month": "2026-01"}).json()
    rows = body.get("results", body)
    assert [r["number"] for r in rows] == ["JE-2026-000002", "JE-2026-000001"]
    invoice = rows[1]
    assert [(ln["account_code"], ln["debit"], ln["credit"]) for ln in invoice["lines"]] == [
        ("1200", "35.7000", "0.0000"),
        ("2100", "0.0000", "30.0000"),
        ("2200", "0.0000", "5.7000"),
    ]
    only = client.get("/api/v1/journal-entries/", {"source_type": "payment"}).json()
    assert [r["number"] for r in only.get("results", only)] == ["JE-2026-000002"]
    bad = client.get("/api/v1/journal-entries/", {"month": "2026-13"})
    assert bad.status_code == 400 and bad.json()["field"] == "month"
    answer = client.get("/api/v1/journal-entries/export/", {"month": "2026-01", "layout": "xero"})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv"
    assert answer.content.decode().startswith("*Narration,*Date,")
    missing = client.get("/api/v1/journal-entries/export/")
    assert missing.status_code == 400 and missing.json()["field"] == "month"
    backwards = client.get(
        "/api/v1/journal-entries/export/", {"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert backwards.status_code == 400 and backwards.json()["field"] == "end"


def test_the_api_keeps_journals_in_their_tenant(tenant, booked, make_tenant, api_client_for):
    other = api_client_for(make_tenant(), "admin")
    entry = JournalEntry.objects.for_tenant(tenant).first()
    assert other.get(f"/api/v1/journal-entries/{entry.pk}/").status_code == 404
    body = other.get("/api/v1/journal-entries/").json()
    assert body.get("results", body) == []
    assert api_client_for(tenant, "support").get("/api/v1/journal-entries/").status_code == 403


def test_the_console_shows_the_month_an_entry_and_exports(client, tenant, booked, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    page = client.get("/staff/journal/", {"month": "2026-01"}).content.decode()
    assert "JE-2026-000001" in page and "JE-2026-000002" in page
    assert "€35.70" in page
    entry = JournalEntry.objects.get(number="JE-2026-000001")
    detail = client.get(f"/staff/journal/{entry.pk}/").content.decode()
    assert "Deferred revenue" in detail and "€30.00" in detail
    download = client.get("/staff/journal/export/", {"month": "2026-01", "layout": "general"})
    assert download.status_code == 200
    assert download.content.decode().startswith("date,entry_number,")
    assert client.get("/staff/journal/", {"month": "x"}).status_code == 400
    # An open month warns that its recognition comes with the close; a closed one does not.
    assert 'id="open-month"' in page
    with clock.simulated(dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)):
        close_month(tenant=tenant, month=dt.date(2026, 1, 1))
    closed = client.get("/staff/journal/", {"month": "2026-01"}).content.decode()
    assert 'id="open-month"' not in closed


def test_the_console_changes_a_mapping_and_keeps_other_tenants_out(
    client, tenant, booked, make_staff, make_tenant
):
    from ispstack.accounting.models import Account, AccountMapping

    client.force_login(make_staff(tenant, "billing"))
    assert "Chart of accounts" in client.get("/staff/journal/chart/").content.decode()
    mapping = AccountMapping.objects.get(tenant=tenant, role="bank", key="")
    other_bank = Account.objects.create(
        tenant=tenant, code="1110", name="Second bank", type="asset"
    )
    answer = client.post(f"/staff/journal/chart/{mapping.pk}/", {"account": other_bank.pk})
    assert answer.status_code == 302
    assert AccountMapping.objects.get(pk=mapping.pk).account == other_bank
    # Entries written before keep their account.
    assert (
        JournalEntry.objects.get(number="JE-2026-000002")
        .lines.filter(account__code="1100")
        .exists()
    )
    stranger = make_tenant()
    client.force_login(make_staff(stranger, "billing"))
    assert client.get(f"/staff/journal/{JournalEntry.objects.first().pk}/").status_code == 404
    assert client.post(f"/staff/journal/chart/{mapping.pk}/", {"account": 1}).status_code == 404
    client.force_login(make_staff(tenant, "support"))
    assert client.get("/staff/journal/").status_code == 403
