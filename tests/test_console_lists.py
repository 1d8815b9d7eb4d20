"""The console's lists: what each role sees, filters, sorting, pages that stay
cheap, the column chooser, CSV / XLSX exports read back, and bulk actions
with their confirmation, their permission and other tenants' ids."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock
from ispstack.core.models import Job
from ispstack.payments.models import BankStatement, BankTransfer, Payment, StatementLine
from ispstack.payments.services import record_payment
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from tests.console_export import exported, run, start

pytestmark = pytest.mark.django_db

D = dt.date

LISTS = {
    "customers": "customers.view_customer",
    "subscriptions": "subscriptions.view_subscription",
    "invoices": "billing.view_invoice",
    "payments": "payments.view_payment",
    "statement-lines": "payments.view_statementline",
    "transfers": "payments.view_banktransfer",
    "jobs": "core.view_job",
}


#: What the other tenant's rows show in each list.
OTHER_MARKERS = ("Customer other", "other-0", "Payer other", "email.other", "TR-other")


class World:
    """One tenant with a row in every list, its name on each (``marker``)."""

    def __init__(self, tenant: Any, f: dict[str, Any], marker: str) -> None:
        self.tenant = tenant
        self.marker = marker
        plan = f["plan"](tenant, name=f"Plan {marker}", monthly_price="30.00")
        self.customer = f["customer"](tenant, name=f"Customer {marker}")
        self.subs = [
            f["subscription"](tenant, customer=self.customer, plan=plan, username=f"{marker}-{n}")
            for n in range(2)
        ]
        run_billing(tenant=tenant, as_of=D(2026, 1, 1))
        self.invoice = Invoice.objects.filter(customer=self.customer).order_by("number")[0]
        self.payment = record_payment(
            tenant=tenant,
            customer=self.customer,
            amount="10.00",
            received_on=D(2026, 1, 5),
            reference=f"PAY-{marker}",
        )
        self.transfer = BankTransfer.objects.create(
            tenant=tenant,
            customer=self.customer,
            amount=Decimal("12.00"),
            currency=self.customer.currency,
            transferred_on=D(2026, 1, 3),
            reference=f"TR-{marker}",
            proof=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof"),
        )
        statement = BankStatement.objects.create(
            tenant=tenant, format="camt053", filename="s.xml", sha256=marker.ljust(64, "0")
        )
        self.line = StatementLine.objects.create(
            tenant=tenant,
            statement=statement,
            identity=marker.ljust(64, "1"),
            bank_reference=f"REF-{marker}",
            booked_on=D(2026, 1, 4),
            amount=Decimal("12.00"),
            currency=self.customer.currency,
            counterparty_name=f"Payer {marker}",
            status=StatementLine.Status.UNMATCHED,
        )
        self.job = Job.objects.create(
            tenant=tenant,
            kind=f"notifications.email.{marker}",
            status=Job.Status.FAILED,
            attempts=8,
            max_attempts=8,
            last_error=f"SMTPError: {marker} mailbox full",
            next_attempt_at=clock.now(),
        )


@pytest.fixture
def worlds(make_tenant, make_plan, make_customer, make_subscription) -> tuple[World, World]:
    f = {"plan": make_plan, "customer": make_customer, "subscription": make_subscription}
    return (
        World(make_tenant(name="Mine"), f, "mine"),
        World(make_tenant(name="Other"), f, "other"),
    )


def _page(client: Client, name: str, **params: Any) -> str:
    answer = client.get(f"/staff/{name}/", params)
    assert answer.status_code == 200, answer.content[:500]
    return answer.content.decode()


@pytest.mark.parametrize("name", list(LISTS))
def test_each_list_shows_the_tenants_rows_and_never_another_tenants(
    client: Client, make_staff, worlds, name
):
    mine, other = worlds
    client.force_login(make_staff(mine.tenant, "admin"))
    page = _page(client, name)
    assert "mine" in page
    assert not [marker for marker in OTHER_MARKERS if marker in page]
    for params in ({"sort": "evil"}, {"page": "abc"}, {"page": "99999999999"}, {"after": "x~y"}):
        assert client.get(f"/staff/{name}/", params).status_code == 200
    text = exported(client, f"/staff/{name}/", "csv").decode()
    assert "mine" in text and not [marker for marker in OTHER_MARKERS if marker in text]


@pytest.mark.parametrize("role", ["admin", "billing", "noc", "support"])
def test_a_role_opens_the_lists_its_permissions_read_and_the_menu_shows_those(
    client: Client, make_staff, worlds, role
):
    staff = make_staff(worlds[0].tenant, role)
    client.force_login(staff)
    home = client.get("/staff/").content.decode()
    for name, perm in LISTS.items():
        status = client.get(f"/staff/{name}/").status_code
        assert status == (200 if staff.has_perm(perm) else 403), (name, role)
        assert (f'href="/staff/{name}/"' in home) == staff.has_perm(perm)


def test_support_reads_invoices_but_is_offered_no_bulk_action(client, make_staff, worlds):
    client.force_login(make_staff(worlds[0].tenant, "support"))
    assert 'name="action"' not in _page(client, "invoices")
    answer = client.post(
        "/staff/invoices/", {"action": "void", "pk": [worlds[0].invoice.pk], "confirm": "1"}
    )
    assert answer.status_code == 403
    assert Invoice.objects.get(pk=worlds[0].invoice.pk).status != "void"


def test_invoices_filter_by_status_overdue_dates_and_amount(client, make_staff, worlds, settings):
    mine = worlds[0]
    client.force_login(make_staff(mine.tenant, "billing"))
    number = mine.invoice.number
    assert number in _page(client, "invoices", status="partially_paid")
    assert number not in _page(client, "invoices", status="paid")
    assert number in _page(client, "invoices", overdue="true")  # the wall clock is past 2026-01
    assert number in _page(client, "invoices", issue_date_after="2026-01-01")
    assert number not in _page(client, "invoices", issue_date_after="2026-02-01")
    assert number in _page(client, "invoices", total_min="1", total_max="100000")
    assert number not in _page(client, "invoices", total_min="100000")
    bad = _page(client, "invoices", issue_date_after="not-a-date", total_min="abc")
    assert "Enter a valid date" in bad and "Enter a number" in bad
    assert number in _page(client, "invoices", q=mine.customer.account_number)
    assert f'href="/staff/customers/{mine.customer.pk}/"' in _page(client, "invoices")


def test_the_table_fragment_alone_answers_an_htmx_request(client, make_staff, worlds):
    client.force_login(make_staff(worlds[0].tenant, "billing"))
    answer = client.get(
        "/staff/invoices/",
        {"status": "partially_paid", "q": "", "total_min": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="list-results",
    )
    assert answer["HX-Push-Url"] == "/staff/invoices/?status=partially_paid"
    paged = client.get(
        "/staff/invoices/",
        {"sort": "-total", "page": "2", "q": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="list-results",
    )
    assert paged["HX-Push-Url"] == "/staff/invoices/?sort=-total&page=2"
    assert "HX-Request" in answer["Vary"]
    fragment = answer.content.decode()
    assert worlds[0].invoice.number in fragment
    assert "<html" not in fragment and 'id="list-filters"' not in fragment
    full = _page(client, "invoices")
    assert 'hx-target="#list-results"' in full and 'hx-push-url="true"' in full


def test_the_column_chooser_is_remembered_per_list(client, make_staff, worlds):
    client.force_login(make_staff(worlds[0].tenant, "billing"))
    answer = client.post(
        "/staff/invoices/", {"columns_form": "1", "columns": ["number", "total", "evil"]}
    )
    assert answer.status_code == 302
    page = _page(client, "invoices")
    assert worlds[0].invoice.number in page
    assert "Customer mine" not in page  # the customer column is hidden
    assert "Customer mine" in _page(client, "payments")  # other lists keep theirs
    client.post("/staff/invoices/", {"columns_form": "1", "reset": "1"})
    assert "Customer mine" in _page(client, "invoices")


def _invoices(tenant: Any, customer: Any, count: int, prefix: str = "T") -> list[Invoice]:
    rows = [
        Invoice(
            tenant=tenant,
            customer=customer,
            number=f"INV-{prefix}-{n:05d}",
            currency="EUR",
            issue_date=D(2025, 1, 1) + dt.timedelta(days=n % 300),
            due_date=D(2025, 1, 15) + dt.timedelta(days=n % 300),
            subtotal=Decimal("10.00"),
            tax_total=Decimal("1.90"),
            total=Decimal("11.90") + n,
        )
        for n in range(count)
    ]
    return Invoice.objects.bulk_create(rows)


@pytest.mark.parametrize(
    "sort", ["-issue_date", "issue_date", "number", "-id", "total", "-customer"]
)
def test_walking_every_page_forward_and_back_sees_each_row_once_in_order(
    client, make_staff, make_tenant, make_customer, sort
):
    tenant = make_tenant()
    customer = make_customer(tenant)
    made = _invoices(tenant, customer, 130)
    client.force_login(make_staff(tenant, "billing"))
    seen: list[str] = []
    url = f"/staff/invoices/?sort={sort}"
    pages = []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200
        pages.append(answer)
        context = answer.context
        seen += [row.number for row in context["page"].rows]
        nxt = context["page"].next_url
        url = f"/staff/invoices/{nxt}" if nxt else ""
    assert sorted(seen) == sorted(invoice.number for invoice in made)
    key = sort.lstrip("-")
    expected = sorted(
        made,
        key=lambda i: (
            {"issue_date": i.issue_date, "number": i.number, "id": i.pk, "total": i.total}.get(
                key, customer.name
            ),
            i.pk,
        ),
        reverse=sort.startswith("-"),
    )
    assert seen == [invoice.number for invoice in expected]
    # Back from the last page lands on the rows of the page before it.
    previous = pages[-1].context["page"].previous_url
    back = client.get(f"/staff/invoices/{previous}").context["page"].rows
    assert [row.number for row in back] == [row.number for row in pages[-2].context["page"].rows]


def test_a_page_of_200_invoices_takes_a_bounded_number_of_queries(
    client, make_staff, make_tenant, make_customer, django_assert_max_num_queries
):
    tenant = make_tenant()
    customers = [make_customer(tenant) for _ in range(5)]
    for n, customer in enumerate(customers):
        _invoices(tenant, customer, 40, prefix=str(n))
    client.force_login(make_staff(tenant, "billing"))
    client.get("/staff/invoices/")  # session, permissions cached
    with django_assert_max_num_queries(12):
        first = client.get("/staff/invoices/")
    with django_assert_max_num_queries(12):
        client.get(f"/staff/invoices/{first.context['page'].next_url}")
    with django_assert_max_num_queries(12):
        client.get("/staff/invoices/", {"status": "issued", "sort": "-total", "page": "3"})


def test_csv_and_xlsx_exports_carry_every_filtered_row_with_money_as_numbers(
    client, make_staff, make_tenant, make_customer
):
    tenant = make_tenant()
    customer = make_customer(tenant, name="Export Person")
    made = _invoices(tenant, customer, 120)
    client.force_login(make_staff(tenant, "billing"))
    export = run(start(client, "/staff/invoices/", "csv", total_min="50"))
    answer = client.get(f"/staff/exports/{export.pk}/download/")
    assert answer["Content-Disposition"].startswith('attachment; filename="invoices-')
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    wanted = [invoice for invoice in made if invoice.total >= 50]
    assert len(rows) == len(wanted) > 50  # more than one page
    assert {row["Currency"] for row in rows} == {"EUR"}
    assert sum(Decimal(row["Total"]) for row in rows) == sum(i.total for i in wanted)
    assert rows[0]["Customer"] == "Export Person" and rows[0]["Total"].count(".") == 1

    content = exported(client, "/staff/invoices/", "xlsx", total_min="50")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = list(sheet.values)
    header, body = values[0], values[1:]
    assert len(body) == len(wanted)
    total = header.index("Total")
    assert all(isinstance(row[total], (int, float)) for row in body)
    assert round(sum(Decimal(str(row[total])) for row in body), 2) == sum(i.total for i in wanted)


def test_a_spreadsheet_too_big_is_refused_with_a_message(client, make_staff, worlds, monkeypatch):
    from ispstack.console import exports

    monkeypatch.setattr(exports, "XLSX_ROW_LIMIT", 1)
    client.force_login(make_staff(worlds[0].tenant, "admin"))
    export = run(start(client, "/staff/subscriptions/", "xlsx"))
    assert export.status == "failed"
    page = client.get(f"/staff/exports/{export.pk}/").content.decode()
    assert "too many for a spreadsheet" in page and "/download/" not in page


def test_a_list_that_grows_past_the_limit_while_written_fails_and_leaves_no_temp_file(
    client, make_staff, worlds, monkeypatch
):
    import os

    from openpyxl.worksheet import _writer

    from ispstack.console import exports

    real_view_for = exports._view_for

    def counted_short(export):
        view = real_view_for(export)
        view.export_count = lambda query: 1  # counted before two more rows came
        return view

    monkeypatch.setattr(exports, "XLSX_ROW_LIMIT", 1)
    monkeypatch.setattr(exports, "_view_for", counted_short)
    before = set(_writer.ALL_TEMP_FILES)
    client.force_login(make_staff(worlds[0].tenant, "admin"))
    export = run(start(client, "/staff/subscriptions/", "xlsx"))
    assert export.status == "failed" and "too many for a spreadsheet" in export.error
    left = set(_writer.ALL_TEMP_FILES) - before
    assert not left and not [path for path in left if os.path.exists(path)]


def test_bulk_suspend_asks_to_confirm_with_a_reason_then_reports_each_row(
    client, make_staff, worlds
):
    mine, other = worlds
    client.force_login(make_staff(mine.tenant, "billing"))
    ids = [sub.pk for sub in mine.subs]
    confirm = client.post("/staff/subscriptions/", {"action": "suspend", "pk": ids})
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "mine-0" in page and "mine-1" in page
    assert Subscription.objects.filter(status=SubscriptionStatus.SUSPENDED).count() == 0

    no_reason = client.post(
        "/staff/subscriptions/", {"action": "suspend", "pk": ids, "confirm": "1"}
    )
    assert "A reason is required" in no_reason.content.decode()
    assert Subscription.objects.filter(status=SubscriptionStatus.SUSPENDED).count() == 0

    done = client.post(
        "/staff/subscriptions/",
        {"action": "suspend", "pk": ids, "confirm": "1", "reason": "fraud check"},
    ).content.decode()
    assert "2 rows changed" in done
    assert set(Subscription.objects.filter(status="suspended").values_list("pk", flat=True)) == set(
        ids
    )
    again = client.post(
        "/staff/subscriptions/",
        {"action": "suspend", "pk": ids, "confirm": "1", "reason": "twice"},
    ).content.decode()
    assert "0 rows changed" in again and "2 refused" in again and "cannot suspend" in again


def test_another_tenants_ids_are_never_acted_on(client, make_staff, worlds):
    mine, other = worlds
    client.force_login(make_staff(mine.tenant, "admin"))
    answer = client.post(
        "/staff/subscriptions/",
        {
            "action": "suspend",
            "pk": [other.subs[0].pk, mine.subs[0].pk, "junk"],
            "confirm": "1",
            "reason": "probe",
        },
    ).content.decode()
    assert "1 row changed" in answer and "1 not found" in answer
    assert Subscription.objects.get(pk=other.subs[0].pk).status == "active"
    for name, pk in (("invoices", other.invoice.pk), ("jobs", other.job.pk)):
        action = {"invoices": "void", "jobs": "retry"}[name]
        client.post(
            f"/staff/{name}/", {"action": action, "pk": [pk], "confirm": "1", "reason": "x"}
        )
    assert Invoice.objects.get(pk=other.invoice.pk).status != "void"
    assert Job.objects.get(pk=other.job.pk).status == "failed"


def test_the_platform_operator_reads_every_tenant_but_acts_in_none(client, make_staff, worlds):
    operator = make_staff(None, "", is_superuser=True)
    client.force_login(operator)
    page = _page(client, "subscriptions")
    assert "mine-0" in page and "other-0" in page
    answer = client.post(
        "/staff/subscriptions/",
        {"action": "suspend", "pk": [worlds[0].subs[0].pk], "confirm": "1", "reason": "x"},
    )
    assert answer.status_code == 404


def test_retry_now_puts_a_failed_job_back_for_one_more_try(
    client, make_staff, worlds, django_capture_on_commit_callbacks
):
    mine = worlds[0]
    client.force_login(make_staff(mine.tenant, "admin"))
    assert mine.job.last_error in _page(client, "jobs", status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/staff/jobs/", {"action": "retry", "pk": [mine.job.pk], "confirm": "1"}
        ).content.decode()
    assert "1 row changed" in done
    mine.job.refresh_from_db()
    # No handler is registered for this kind, so the retry ran and failed again.
    assert mine.job.attempts == 9 and mine.job.max_attempts == 9


def test_transfers_are_approved_and_rejected_in_bulk(client, make_staff, worlds):
    mine = worlds[0]
    client.force_login(make_staff(mine.tenant, "billing"))
    assert "TR-mine" in _page(client, "transfers", status="in_review")
    client.post(
        "/staff/transfers/",
        {"action": "reject", "pk": [mine.transfer.pk], "confirm": "1", "reason": "not found"},
    )
    transfer = BankTransfer.objects.get(pk=mine.transfer.pk)
    assert transfer.status == "rejected" and transfer.rejection_reason == "not found"
    assert Payment.objects.filter(customer=mine.customer).count() == 1


@pytest.mark.parametrize(
    "params",
    [
        {"after": "2026-01-01~99999999999999999999999"},
        {"after": "9999-99-99~1"},
        {"before": "~"},
        {"sort": "number", "after": "x" * 5000 + "~1"},
        {"sort": "-id", "after": "x~-5"},
        {"page": "1e9"},
        {"page": "-3"},
        {"total_min": "1e400", "total_max": "NaN"},
        {"issue_date_after": "99999-01-01"},
        {"overdue": "maybe", "status": "evil"},
        {"q": "\x00" + "a" * 10000},
        {"export": "pdf"},
    ],
)
def test_hostile_query_parameters_never_break_a_list(client, make_staff, worlds, params):
    client.force_login(make_staff(worlds[0].tenant, "billing"))
    assert client.get("/staff/invoices/", params).status_code == 200


def test_hostile_bulk_posts_change_nothing(client, make_staff, worlds):
    client.force_login(make_staff(worlds[0].tenant, "billing"))
    for data in (
        {"action": "evil", "pk": [worlds[0].subs[0].pk]},
        {"action": "suspend", "pk": ["-1", "99999999999999999999999", "x"], "confirm": "1"},
        {"action": "suspend"},
    ):
        answer = client.post("/staff/subscriptions/", data)
        assert answer.status_code in (200, 302)
    assert not Subscription.objects.filter(status="suspended").exists()


def test_a_customers_rows_are_one_link_away(client, make_staff, worlds, make_customer):
    mine = worlds[0]
    client.force_login(make_staff(mine.tenant, "billing"))
    page = _page(client, "invoices", customer=mine.customer.pk)
    assert mine.invoice.number in page
    stranger = make_customer(mine.tenant)
    assert mine.invoice.number not in _page(client, "invoices", customer=stranger.pk)
    assert "PAY-mine" in _page(client, "payments", customer=mine.customer.pk)
    # Another tenant's customer id shows nothing, not their rows.
    assert "other-0" not in _page(client, "subscriptions", customer=worlds[1].customer.pk)


@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_exports_a_spreadsheet_of_its_rows(client, make_staff, worlds, name):
    client.force_login(make_staff(worlds[0].tenant, "admin"))
    content = exported(client, f"/staff/{name}/", "xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.values)
    csv_rows = list(csv.reader(io.StringIO(exported(client, f"/staff/{name}/", "csv").decode())))
    # An export is itself a job: the jobs list grew by the second export's.
    assert len(rows) + (name == "jobs") == len(csv_rows) >= 2
    assert list(rows[0]) == csv_rows[0]


def test_retry_now_refuses_a_job_that_is_not_failed(client, make_staff, worlds):
    mine = worlds[0]
    Job.objects.filter(pk=mine.job.pk).update(status=Job.Status.PENDING)
    client.force_login(make_staff(mine.tenant, "admin"))
    done = client.post(
        "/staff/jobs/", {"action": "retry", "pk": [mine.job.pk], "confirm": "1"}
    ).content.decode()
    assert "1 refused" in done and "only failed jobs" in done
    assert Job.objects.get(pk=mine.job.pk).attempts == 8
