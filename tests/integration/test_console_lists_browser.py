"""The console's lists in Debian's Chromium: a clerk filters and sorts the
invoices (the table reloads in place), hides a column, downloads the CSV,
suspends two subscriptions in bulk after confirming; every list page passes
axe-core with no serious or critical violation."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock
from ispstack.core.models import Job
from ispstack.payments.models import BankStatement, BankTransfer, StatementLine
from ispstack.payments.services import record_payment
from ispstack.subscriptions.models import Subscription
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LISTS = [
    "customers",
    "subscriptions",
    "invoices",
    "payments",
    "statement-lines",
    "transfers",
    "jobs",
]


def test_a_clerk_works_the_lists(
    live_server,
    chromium,
    make_tenant,
    make_staff,
    make_customer,
    make_plan,
    make_subscription,
    settings,
):
    settings.CELERY_BROKER_URL = ""  # the web process's background thread runs the export
    tenant = make_tenant(name="Alpha Net")
    plan = make_plan(tenant, name="Fibre 50")
    subs = [
        make_subscription(tenant, plan=plan, customer=make_customer(tenant, name=f"Person {n}"))
        for n in range(3)
    ]
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    first = subs[0].customer
    record_payment(tenant=tenant, customer=first, amount="5.00", received_on=dt.date(2026, 1, 2))
    BankTransfer.objects.create(
        tenant=tenant,
        customer=first,
        amount=Decimal("7.00"),
        currency="EUR",
        transferred_on=dt.date(2026, 1, 3),
        proof=SimpleUploadedFile("proof.pdf", b"%PDF-1.4"),
    )
    statement = BankStatement.objects.create(
        tenant=tenant, format="camt053", filename="s.xml", sha256="a" * 64
    )
    StatementLine.objects.create(
        tenant=tenant,
        statement=statement,
        identity="b" * 64,
        booked_on=dt.date(2026, 1, 4),
        amount=Decimal("9.00"),
        currency="EUR",
        counterparty_name="Some Payer",
        status=StatementLine.Status.UNMATCHED,
    )
    Job.objects.create(
        tenant=tenant,
        kind="notifications.email",
        status=Job.Status.FAILED,
        last_error="SMTP down",
        next_attempt_at=clock.now(),
    )
    invoices = list(Invoice.objects.filter(tenant=tenant).order_by("number"))
    admin = make_staff(tenant, "admin")
    page = chromium.new_page(accept_downloads=True)
    base = live_server.url
    try:
        log_in(page, base, admin)
        for name in LISTS:
            page.goto(f"{base}/staff/{name}/")
            assert page.locator("table tbody tr").count() >= 1, name
            assert serious_violations(page) == [], name

        # Filter: the table reloads in place and the URL follows.
        page.goto(f"{base}/staff/invoices/")
        page.select_option("#id_status", "partially_paid")
        page.wait_for_url("**/staff/invoices/?*status=partially_paid*")
        results = page.locator("#list-results")
        assert invoices[0].number in results.inner_text()
        assert invoices[1].number not in results.inner_text()
        page.select_option("#id_status", "")
        page.wait_for_url(lambda url: "status=partially_paid" not in url)

        # Sort by total, highest first.
        page.click("#list-results th a:text('Total')")
        page.wait_for_url("**sort=total*")
        page.click("#list-results th a:text('Total')")
        page.wait_for_url("**sort=-total*")
        assert page.locator("th[aria-sort=descending]").inner_text().startswith("Total")

        # Hide the customer column; it stays hidden on the next visit.
        page.click("summary:text('Columns')")
        page.uncheck("input[name=columns][value=customer]")
        page.click(".column-chooser button.primary")
        page.wait_for_load_state()
        page.goto(f"{base}/staff/invoices/")
        headers = page.locator("#list-results thead th").all_inner_texts()
        assert "Customer" not in [text.strip() for text in headers]
        assert serious_violations(page) == []

        # CSV export of the filtered list: a background job, then its file.
        page.click("button[name=export][value=csv]")
        page.wait_for_url(f"{base}/staff/exports/**")
        page.wait_for_selector("#export-progress[data-state=done]", timeout=20_000)
        with page.expect_download() as download:
            page.click("text=Download")
        with open(download.value.path(), encoding="utf-8") as exported:
            rows = list(csv.DictReader(exported))
        assert sorted(row["Number"] for row in rows) == [invoice.number for invoice in invoices]
        assert sum(Decimal(row["Total"]) for row in rows) == sum(i.total for i in invoices)

        # Suspend two subscriptions in bulk, confirming with a reason.
        page.goto(f"{base}/staff/subscriptions/")
        for sub in subs[:2]:
            page.check(f"input[name=pk][value='{sub.pk}']")
        page.select_option("#bulk-action", "suspend")
        page.click("text=Review…")
        page.wait_for_selector("text=The subscribers lose access")
        assert serious_violations(page) == []
        page.fill("#id_reason", "Fraud check")
        page.click("main form button.danger")
        page.wait_for_selector("text=2 rows changed")
        assert serious_violations(page) == []
        statuses = dict(Subscription.objects.values_list("pk", "status"))
        assert [statuses[sub.pk] for sub in subs] == ["suspended", "suspended", "active"]
    finally:
        page.close()
