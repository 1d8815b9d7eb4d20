"""The Customer 360 of the staff console: what each role sees and may do, that
actions change the data through the apps' services (and bad input names its
field and writes nothing), that no tenant reaches another's customer, and
that every panel reads in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ispstack.billing.models import Charge, CreditNote, Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock
from ispstack.core.models import AuditLog, Job
from ispstack.payments.models import CustomerPaymentMethod, Payment
from ispstack.payments.selectors import account_balance, balance
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import suspend
from ispstack.usage.models import DailyUsage

pytestmark = pytest.mark.django_db
D = dt.date
PANELS = (
    "subscriptions",
    "invoices",
    "payments",
    "sessions",
    "usage",
    "dunning",
    "history",
    "notes",
)


def _url(customer, tab=""):
    return f"/staff/customers/{customer.pk}/" + (f"?tab={tab}" if tab else "")


def _action(customer, name):
    return f"/staff/customers/{customer.pk}/{name}/"


@pytest.fixture
def world(tenant, make_subscription, make_customer, make_plan):
    """A customer with three subscriptions (one capped at 100 GB), billed for
    four months, three payments, a saved bank account, sessions and daily usage."""
    customer = make_customer(tenant, name="Thandi Mokoena", tags=["vip"])
    capped = make_plan(tenant, data_cap_bytes=100 * 10**9, name="Capped 100")
    subs = [
        make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1), plan=capped),
        make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1)),
        make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1)),
    ]
    for month in (1, 2, 3, 4):
        run_billing(tenant=tenant, as_of=D(2026, month, 1))
    for n, amount in enumerate(("20.00", "30.00", "40.00"), 1):
        record_payment(
            tenant=tenant,
            customer=customer,
            amount=amount,
            received_on=D(2026, 4, n),
            reference=f"EFT-{n}",
        )
    CustomerPaymentMethod.objects.create(
        tenant=tenant,
        customer=customer,
        kind=CustomerPaymentMethod.Kind.BANK_ACCOUNT,
        iban="DE89370400440532013000",
        holder_name="Thandi Mokoena",
        mandate_reference="M-1",
        is_primary=True,
    )
    now = clock.now()
    today = clock.today(tenant)
    for i, sub in enumerate(subs):
        for k in range(3):
            RadAcct.objects.create(
                acctsessionid=f"s{i}-{k}",
                acctuniqueid=f"u{sub.pk}-{k}",
                username=sub.username,
                nasipaddress="192.0.2.1",
                acctstarttime=now - dt.timedelta(hours=5 + k * 10),
                acctstoptime=None if k == 0 and i == 0 else now - dt.timedelta(hours=1 + k * 10),
                acctsessiontime=4 * 3600,
                acctinputoctets=10**8,
                acctoutputoctets=2 * 10**9,
                framedipaddress=f"100.64.9.{i + 1}",
            )
        for k in range(3):
            day = today - dt.timedelta(days=k)
            if day.day >= 1 and day >= today.replace(day=1):
                DailyUsage.objects.create(
                    tenant=tenant,
                    subscription=sub,
                    day=day,
                    input_octets=10**9,
                    output_octets=9 * 10**9,
                )
    return customer, subs


def _login(client, make_staff, tenant, role):
    user = make_staff(tenant, role)
    client.force_login(user)
    return user


def test_the_header_shows_who_the_customer_is_what_they_owe_and_whether_they_are_online(
    client: Client, tenant, world, make_staff
):
    customer, subs = world
    _login(client, make_staff, tenant, "billing")
    page = client.get(_url(customer)).content.decode()
    assert "Thandi Mokoena" in page and customer.account_number in page
    owed = account_balance(customer)
    assert owed > 0 and balance(customer) == owed
    assert f"€{owed:,.2f}" in page
    assert "Owes" in page
    assert "Online" in page and subs[0].username in page
    assert "vip" in page
    assert "Next invoice" in page


@pytest.mark.parametrize("tab", PANELS)
def test_every_panel_reads_in_a_bounded_number_of_queries(
    client: Client, tenant, world, make_staff, django_assert_max_num_queries, tab
):
    customer, _subs = world
    _login(client, make_staff, tenant, "admin")
    with django_assert_max_num_queries(18):
        answer = client.get(_url(customer, tab))
    assert answer.status_code == 200


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("tab", PANELS)
def test_a_tab_clicked_answers_its_panel_alone_in_fewer_queries(
    client: Client, tenant, world, make_staff, tab
):
    customer, _subs = world
    _login(client, make_staff, tenant, "admin")
    with CaptureQueriesContext(connection) as whole:
        page = client.get(_url(customer, tab))
    with CaptureQueriesContext(connection) as alone:
        answer = client.get(_url(customer, tab), **HTMX)
    assert answer.status_code == 200 and page.status_code == 200
    html = answer.content.decode()
    # The tabs (the clicked one current) and the panel, not the page around them.
    assert html.startswith('<div id="c360-tabs">') and 'id="c360-panel"' in html
    assert f'href="?tab={tab}" ' in html and 'aria-current="page"' in html
    assert "<html" not in html and "Balance" not in html
    # The header's reads (the balance with the customer, the online session
    # and next invoice's charges with the figures) are not made again.
    balance = "SUM(total - amount_paid - amount_credited)"
    assert any(balance in q["sql"] for q in whole.captured_queries)
    assert not any(balance in q["sql"] for q in alone.captured_queries)
    assert len(alone) <= len(whole)
    assert "HX-Request" in answer["Vary"] and "HX-Request" in page["Vary"]


def test_a_tab_fetched_by_htmx_keeps_the_pages_access_rules(
    client: Client, tenant, world, make_staff, make_tenant
):
    customer, _subs = world
    _login(client, make_staff, tenant, "billing")
    # A panel the role may not read answers the first one it may.
    html = client.get(_url(customer, "sessions"), **HTMX).content.decode()
    assert "<h2>Subscriptions</h2>" in html and "?tab=sessions" not in html
    # Back and forward in the browser asks for the whole page.
    restore = client.get(_url(customer, "invoices"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()
    _login(client, make_staff, make_tenant(), "admin")
    assert client.get(_url(customer, "invoices"), **HTMX).status_code == 404


def test_panels_show_speed_address_cap_use_documents_payments_and_masked_iban(
    client: Client, tenant, world, make_staff
):
    customer, subs = world
    _login(client, make_staff, tenant, "admin")
    page = client.get(_url(customer, "subscriptions")).content.decode()
    assert "50\u00a0Mbit/s / 10\u00a0Mbit/s" in page
    assert str(subs[0].ip_address.address) in page
    assert " of 100\u00a0GB" in page
    invoices = client.get(_url(customer, "invoices")).content.decode()
    first = Invoice.objects.filter(customer=customer).first()
    assert first.number in invoices
    assert f"/staff/invoices/{first.pk}/pdf/" in invoices
    paid = client.get(_url(customer, "payments")).content.decode()
    assert "EFT-3" in paid and "3000" in paid
    assert "DE89370400440532013000" not in paid
    sessions = client.get(_url(customer, "sessions")).content.decode()
    assert "192.0.2.1" in sessions and "4\u00a0h" in sessions and "2\u00a0GB" in sessions
    usage = client.get(_url(customer, "usage")).content.decode()
    assert "<svg" in usage and "<table" in usage and 'style="' not in usage


def test_the_invoice_pdf_is_served_for_the_tenant_and_404_for_another(
    client: Client, tenant, world, make_staff, make_tenant
):
    customer, _subs = world
    invoice = Invoice.objects.filter(customer=customer).first()
    _login(client, make_staff, tenant, "support")
    answer = client.get(f"/staff/invoices/{invoice.pk}/pdf/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert b"".join(answer).startswith(b"%PDF")
    _login(client, make_staff, make_tenant(), "admin")
    assert client.get(f"/staff/invoices/{invoice.pk}/pdf/").status_code == 404


def test_the_platform_operator_opens_any_tenants_customer_with_its_balance(client: Client, world):
    from ispstack.core.models import User

    customer, _subs = world
    operator = User.objects.create_superuser("operator", "op@example.net", "x" * 20)
    client.force_login(operator)
    page = client.get(_url(customer)).content.decode()
    assert customer.name in page and customer.account_number in page
    assert 'id="c360-balance"' in page
    assert client.get(f"/staff/customers/{customer.pk + 10_000}/").status_code == 404


def test_another_tenants_staff_get_404_for_the_customer_and_its_actions(
    client: Client, world, make_staff, make_tenant
):
    customer, _subs = world
    _login(client, make_staff, make_tenant(), "admin")
    assert client.get(_url(customer)).status_code == 404
    assert client.get(_action(customer, "record-payment")).status_code == 404
    answer = client.post(_action(customer, "record-payment"), {"amount": "10.00"})
    assert answer.status_code == 404
    assert not Payment.objects.filter(amount=Decimal("10.00")).exists()


def test_billing_sees_money_and_may_take_money_actions_but_not_sessions(
    client: Client, tenant, world, make_staff
):
    customer, _subs = world
    _login(client, make_staff, tenant, "billing")
    page = client.get(_url(customer)).content.decode()
    for label in ("Record payment", "Add charge", "Credit note", "Send statement", "Suspend"):
        assert label in page
    assert "?tab=invoices" in page and "?tab=payments" in page and "?tab=dunning" in page
    assert "?tab=sessions" not in page
    # Asking for a hidden panel shows the first one the role may read.
    assert client.get(_url(customer, "sessions")).status_code == 200


def test_noc_sees_sessions_and_usage_and_may_suspend_but_no_money(
    client: Client, tenant, world, make_staff
):
    customer, _subs = world
    _login(client, make_staff, tenant, "noc")
    page = client.get(_url(customer)).content.decode()
    assert "?tab=sessions" in page and "?tab=usage" in page
    assert "?tab=invoices" not in page and "?tab=payments" not in page
    assert "Balance" not in page
    assert "Suspend" in page and "Reconnect" in page
    assert "Record payment" not in page
    assert client.get(_action(customer, "record-payment")).status_code == 403
    assert client.post(_action(customer, "add-charge"), {}).status_code == 403


def test_support_reads_but_may_not_credit_or_charge(client: Client, tenant, world, make_staff):
    customer, subs = world
    _login(client, make_staff, tenant, "support")
    page = client.get(_url(customer)).content.decode()
    assert "?tab=invoices" in page and "?tab=sessions" in page
    assert "Credit note" not in page and "Add charge" not in page and "Suspend" not in page
    invoice = Invoice.objects.filter(customer=customer).first()
    assert client.post(_action(customer, "credit-note"), {"invoice": invoice.pk}).status_code == 403
    answer = client.post(
        _action(customer, "add-charge"),
        {"subscription": subs[0].pk, "description": "Router", "amount": "99.00"},
    )
    assert answer.status_code == 403
    assert not CreditNote.objects.exists() and not Charge.objects.filter(description="Router")


def test_recording_a_payment_creates_it_and_the_balance_drops(
    client: Client, tenant, world, make_staff, run_on_commit
):
    customer, _subs = world
    before = account_balance(customer)
    _login(client, make_staff, tenant, "billing")
    answer = client.post(
        _action(customer, "record-payment"),
        {"amount": "25.50", "received_on": "2026-05-02", "method": "cash", "reference": "R-77"},
    )
    assert answer.status_code == 302
    payment = Payment.objects.get(reference="R-77")
    assert (payment.amount, payment.method, payment.received_on) == (
        Decimal("25.50"),
        "cash",
        D(2026, 5, 2),
    )
    assert account_balance(customer) == before - Decimal("25.50")
    page = client.get(answer.url).content.decode()
    assert "Payment of 25.50 EUR recorded." in page


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"amount": "-5", "method": "cash"}, "amount", "negative"),
        ({"amount": "abc", "method": "cash"}, "amount", "not a number"),
        ({"amount": "1.234", "method": "cash"}, "amount", "decimal"),
        ({"amount": "10", "method": "cash", "received_on": "2026-13-01"}, "received_on", "date"),
        ({"amount": "10", "method": "cash", "reference": "EFT-1"}, "reference", ""),
    ],
)
def test_a_bad_payment_names_its_field_and_writes_nothing(
    client: Client, tenant, world, make_staff, data, field, words
):
    customer, _subs = world
    count = Payment.objects.count()
    _login(client, make_staff, tenant, "billing")
    if field == "reference":
        data["method"] = "bank_transfer"
    answer = client.post(_action(customer, "record-payment"), data)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'id="id_{field}_error"' in page
    assert words.lower() in page.lower()
    assert Payment.objects.count() == count


def test_suspend_and_reconnect_change_the_status(client: Client, tenant, world, make_staff):
    customer, subs = world
    _login(client, make_staff, tenant, "noc")
    missing = client.post(
        _action(customer, "suspend"), {"subscription": subs[1].pk, "cause": "administrative"}
    )
    assert 'id="id_reason_error"' in missing.content.decode()
    answer = client.post(
        _action(customer, "suspend"),
        {"subscription": subs[1].pk, "cause": "administrative", "reason": "Router stolen"},
    )
    assert answer.status_code == 302
    assert Subscription.objects.get(pk=subs[1].pk).status == "suspended"
    answer = client.post(_action(customer, "reconnect"), {"subscription": subs[1].pk})
    assert answer.status_code == 302
    assert Subscription.objects.get(pk=subs[1].pk).status == "active"
    # A subscription of another customer is not offered, so it is refused.
    assert client.post(_action(customer, "reconnect"), {"subscription": 999999}).status_code == 200


def test_a_credit_note_credits_the_amount_asked(client: Client, tenant, world, make_staff):
    customer, _subs = world
    invoice = Invoice.objects.filter(customer=customer).order_by("issue_date").last()
    line = invoice.lines.first()
    _login(client, make_staff, tenant, "billing")
    too_much = client.post(
        _action(customer, "credit-note"),
        {"invoice": invoice.pk, "line": line.pk, "amount": "9999", "reason": "Outage"},
    )
    assert too_much.status_code == 200 and not CreditNote.objects.exists()
    answer = client.post(
        _action(customer, "credit-note"),
        {"invoice": invoice.pk, "line": line.pk, "amount": "10.00", "reason": "Outage"},
    )
    assert answer.status_code == 302
    note = CreditNote.objects.get(invoice=invoice)
    assert note.subtotal == Decimal("10.00")
    assert note.total == Decimal("11.90")
    assert note.reason == "Outage"
    pdf = client.get(f"/staff/credit-notes/{note.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf).startswith(b"%PDF")
    assert note.number in client.get(_url(customer, "invoices")).content.decode()


def test_add_charge_and_change_plan_go_through_billing(
    client: Client, tenant, world, make_staff, make_plan
):
    customer, subs = world
    faster = make_plan(tenant, name="Fibre 200", download_kbps=200000)
    _login(client, make_staff, tenant, "billing")
    answer = client.post(
        _action(customer, "add-charge"),
        {"subscription": subs[1].pk, "description": "Router", "amount": "99.00"},
    )
    assert answer.status_code == 302
    assert Charge.objects.get(description="Router").amount == Decimal("99.00")
    bad = client.post(
        _action(customer, "add-charge"),
        {"subscription": subs[1].pk, "description": "", "amount": "10"},
    )
    assert 'id="id_description_error"' in bad.content.decode()
    answer = client.post(
        _action(customer, "change-plan"),
        {"subscription": subs[2].pk, "plan": faster.pk, "when": "next_cycle"},
    )
    assert answer.status_code == 302
    assert subs[2].plan_changes.get().to_plan == faster


def test_send_statement_queues_an_email_and_audits_it(
    client: Client, tenant, world, make_staff, mailoutbox, django_capture_on_commit_callbacks
):
    customer, _subs = world
    _login(client, make_staff, tenant, "billing")
    bad = client.post(
        _action(customer, "send-statement"), {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert 'id="id_start_error"' in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            _action(customer, "send-statement"), {"start": "2026-01-01", "end": "2026-04-30"}
        )
    assert answer.status_code == 302
    assert Job.objects.filter(kind="payments.send_statement").exists()
    assert AuditLog.objects.filter(action="customer.send_statement").exists()
    assert [m.to for m in mailoutbox] == [[customer.email]]
    assert mailoutbox[0].attachments[0][0].endswith(".pdf")


def test_notes_are_edited_by_staff_who_may_change_customers(
    client: Client, tenant, world, make_staff
):
    customer, _subs = world
    _login(client, make_staff, tenant, "noc")
    assert "<textarea" not in client.get(_url(customer, "notes")).content.decode()
    assert client.post(f"/staff/customers/{customer.pk}/notes/", {"notes": "x"}).status_code == 403
    _login(client, make_staff, tenant, "support")
    answer = client.post(f"/staff/customers/{customer.pk}/notes/", {"notes": "Gate code 1234"})
    assert answer.status_code == 302
    customer.refresh_from_db()
    assert customer.notes == "Gate code 1234"


def test_the_history_shows_who_did_what_and_why(client: Client, tenant, world, make_staff):
    customer, subs = world
    clerk = make_staff(tenant, "admin")
    suspend(subscription=subs[2], actor=clerk, reason="Unpaid since March")
    client.force_login(clerk)
    page = client.get(_url(customer, "history")).content.decode()
    assert "subscription.suspend" in page and "Unpaid since March" in page
    assert clerk.username in page
    assert "payment" in page


@pytest.mark.parametrize(
    "query",
    [
        "?tab=evil",
        "?tab=usage&subscription=abc",
        "?tab=usage&subscription=99999999999999999999",
        "?tab=invoices&page=abc",
        "?tab=payments&page=-3",
        "?tab=history&page=99999999999999999999",
    ],
)
def test_bad_query_params_never_break_the_page(client: Client, tenant, world, make_staff, query):
    customer, _subs = world
    _login(client, make_staff, tenant, "admin")
    assert client.get(_url(customer) + query).status_code == 200
    assert client.get(_action(customer, "no-such-action")).status_code == 404
    assert client.get(_action(customer, "suspend") + "?subscription=abc").status_code == 200


def test_search_links_the_customer_to_its_360(client: Client, tenant, world, make_staff):
    customer, _subs = world
    _login(client, make_staff, tenant, "support")
    page = client.get("/staff/search/", {"q": "Thandi"}).content.decode()
    assert f'href="/staff/customers/{customer.pk}/"' in page


def test_the_next_invoice_estimate_is_a_period_of_each_plan_with_tax_and_pending_charges(
    tenant, make_subscription, make_customer
):
    from ispstack.billing.proration import add_charge
    from ispstack.billing.selectors import next_invoice

    customer = make_customer(tenant)
    sub = make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    today = clock.today(tenant)
    estimate = next_invoice(customer, today)
    assert estimate is not None and estimate.date >= today
    assert (estimate.amount, estimate.currency) == (Decimal("35.70"), "EUR")
    add_charge(subscription=sub, description="Router", amount="10.00")
    assert next_invoice(customer, today).amount == Decimal("47.60")
    suspend(subscription=sub, reason="Moving house")
    assert next_invoice(customer, today) is None
