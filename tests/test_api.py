"""REST API v1: the main job through the API, errors that name the field,
permissions of the roles, the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.billing.services import run_billing
from ispstack.radius.models import RadCheck
from ispstack.radius.selectors import effective_reply

pytestmark = pytest.mark.django_db


def test_signup_to_payment_through_the_api(tenant, api_client_for, make_pool):
    client = api_client_for(tenant)
    pool = make_pool(tenant, cidr="100.64.200.0/24")
    tax = client.post("/api/v1/tax-rates/", {"name": "VAT", "rate": "19"}, format="json").json()
    plan = client.post(
        "/api/v1/plans/",
        {
            "code": "f50",
            "name": "Fibre 50",
            "download_kbps": 50000,
            "upload_kbps": 10000,
            "monthly_price": "30.00",
            "tax_rate": tax["id"],
        },
        format="json",
    )
    assert plan.status_code == 201, plan.json()
    customer = client.post(
        "/api/v1/customers/",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.net",
            "phone": "+49 30 1234567",
            "service_latitude": "52.52",
            "service_longitude": "13.405",
        },
        format="json",
    )
    assert customer.status_code == 201, customer.json()
    assert customer.json()["account_number"].startswith("CT-")
    sub = client.post(
        "/api/v1/subscriptions/",
        {
            "customer": customer.json()["id"],
            "plan": plan.json()["id"],
            "username": "ada@isp.example",
            "password": "pppoe-secret",
            "pool": pool.pk,
            "billing_day": 1,
            "start_date": "2026-01-15",
        },
        format="json",
    )
    assert sub.status_code == 201, sub.json()
    body = sub.json()
    assert (body["status"], body["ip_address"]) == ("pending", "100.64.200.1")
    assert "password" not in body
    assert not RadCheck.objects.filter(username="ada@isp.example").exists()

    activated = client.post(f"/api/v1/subscriptions/{body['id']}/activate/", {}, format="json")
    assert activated.json()["status"] == "active"
    assert effective_reply("ada@isp.example")["Mikrotik-Rate-Limit"] == ["10M/50M"]

    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 15))
    invoices = client.get("/api/v1/invoices/").json()["results"]
    assert [(i["total"], i["lines"][0]["net_amount"]) for i in invoices] == [("19.5800", "16.4500")]
    pdf = client.get(f"/api/v1/invoices/{invoices[0]['id']}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content])[:5] == b"%PDF-"

    paid = client.post(
        "/api/v1/payments/",
        {
            "account_number": customer.json()["account_number"],
            "amount": "19.58",
            "received_on": "2026-01-20",
            "reference": "EFT-ADA-1",
        },
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert paid.json()["allocations"][0]["invoice_number"] == invoices[0]["number"]
    assert client.get(f"/api/v1/invoices/{invoices[0]['id']}/").json()["status"] == "paid"

    suspended = client.post(
        f"/api/v1/subscriptions/{body['id']}/suspend/",
        {"reason": "abuse", "cause": "administrative"},
        format="json",
    )
    assert suspended.json()["status"] == "suspended"
    reconnected = client.post(f"/api/v1/subscriptions/{body['id']}/reconnect/", {}, format="json")
    assert reconnected.json()["status"] == "active"
    ended = client.post(
        f"/api/v1/subscriptions/{body['id']}/terminate/", {"reason": "moved"}, format="json"
    )
    assert ended.json()["status"] == "terminated"
    assert not RadCheck.objects.filter(username="ada@isp.example").exists()


@pytest.mark.parametrize(
    ("url", "payload", "status", "field"),
    [
        ("/api/v1/customers/", {"name": "X", "email": "nope"}, 400, "email"),
        (
            "/api/v1/plans/",
            {
                "code": "p",
                "name": "P",
                "download_kbps": 1,
                "upload_kbps": 1,
                "monthly_price": "-3",
                "tax_rate": 0,
            },
            400,
            "monthly_price",
        ),
        (
            "/api/v1/payments/",
            {"account_number": "CT-0000-00000", "amount": "5.00"},
            404,
            "account",
        ),
        ("/api/v1/tax-rates/", {"name": "bad", "rate": "150"}, 400, "rate"),
    ],
)
def test_bad_input_answers_with_the_field_and_the_rule(
    tenant, api_client_for, url, payload, status, field
):
    response = api_client_for(tenant).post(url, payload, format="json")
    assert response.status_code == status
    assert response.json()["field"] == field
    assert response.json()["detail"]


def test_an_invalid_transition_is_a_conflict(tenant, api_client_for, make_subscription):
    sub = make_subscription(tenant)
    response = api_client_for(tenant).post(
        f"/api/v1/subscriptions/{sub.pk}/reconnect/", {}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_roles_limit_what_the_api_allows(tenant, api_client_for, make_customer):
    customer = make_customer(tenant)
    support = api_client_for(tenant, role="support")
    assert support.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    assert (
        support.post(
            "/api/v1/payments/", {"customer": customer.pk, "amount": "1.00"}, format="json"
        ).status_code
        == 403
    )
    noc = api_client_for(tenant, role="noc")
    assert noc.get("/api/v1/invoices/").status_code == 403


def test_anonymous_requests_are_refused(client):
    assert client.get("/api/v1/customers/").status_code == 401


def test_openapi_schema_lists_the_endpoints(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/customers/",
        "/api/v1/subscriptions/{id}/suspend/",
        "/api/v1/invoices/{id}/pdf/",
        "/api/v1/payments/",
    ):
        assert path in paths


def test_token_is_issued_for_username_and_password(tenant, make_staff, client):
    user = make_staff(tenant)
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "pw-staff-123"}
    )
    assert response.status_code == 200
    assert response.json()["token"].startswith("ispk_")


def test_credit_notes_refunds_and_statements_through_the_api(
    tenant, api_client_for, make_subscription
):
    client = api_client_for(tenant, role="billing")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    invoice = client.get("/api/v1/invoices/").json()["results"][0]
    paid = client.post(
        "/api/v1/payments/",
        {"customer": sub.customer_id, "amount": "35.70", "received_on": "2026-01-02"},
        format="json",
    )
    assert paid.status_code == 201
    too_much = client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes/",
        {"reason": "outage", "lines": [{"line": invoice["lines"][0]["id"], "amount": "31.00"}]},
        format="json",
    )
    assert too_much.status_code == 400
    assert too_much.json()["field"] == "lines[0].amount"
    note = client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes/",
        {
            "reason": "outage",
            "issue_date": "2026-01-05",
            "lines": [{"line": invoice["lines"][0]["id"], "amount": "10.00"}],
        },
        format="json",
    )
    assert note.status_code == 201, note.json()
    assert (note.json()["number"], note.json()["total"]) == ("CN-2026-00001", "11.9000")
    pdf = client.get(f"/api/v1/credit-notes/{note.json()['id']}/pdf/")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"

    refund = client.post(
        "/api/v1/refunds/",
        {"customer": sub.customer_id, "amount": "11.90", "refunded_on": "2026-01-06"},
        format="json",
    )
    assert refund.status_code == 201, refund.json()
    statement = client.get(
        f"/api/v1/customers/{sub.customer_id}/statement/",
        {"start": "2026-01-01", "end": "2026-01-31"},
    ).json()
    assert [e["kind"] for e in statement["entries"]] == [
        "invoice",
        "payment",
        "credit_note",
        "refund",
    ]
    assert statement["closing_balance"] == "0.0000"
    bad = client.get(f"/api/v1/customers/{sub.customer_id}/statement/", {"start": "soon"})
    assert (bad.status_code, bad.json()["field"]) == (400, "start")
    pdf = client.get(
        f"/api/v1/customers/{sub.customer_id}/statement/pdf/",
        {"start": "2026-01-01", "end": "2026-01-31"},
    )
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"


def test_plan_changes_billing_day_and_charges_through_the_api(
    tenant, api_client_for, make_subscription, make_plan
):
    client = api_client_for(tenant)
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    faster = make_plan(tenant, download_kbps=100000, upload_kbps=20000)
    scheduled = client.post(
        f"/api/v1/subscriptions/{sub.pk}/change-plan/",
        {"plan": faster.pk, "when": "date", "on": "2026-02-01"},
        format="json",
    )
    assert scheduled.status_code == 202, scheduled.json()
    assert (scheduled.json()["status"], scheduled.json()["effective_date"]) == (
        "scheduled",
        "2026-02-01",
    )
    now = client.post(
        f"/api/v1/subscriptions/{sub.pk}/change-plan/",
        {"plan": faster.pk, "when": "now"},
        format="json",
    )
    assert now.status_code == 200 and now.json()["plan"] == faster.pk
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["20M/100M"]
    again = client.post(
        f"/api/v1/subscriptions/{sub.pk}/change-plan/", {"plan": faster.pk}, format="json"
    )
    assert (again.status_code, again.json()["field"]) == (400, "plan")
    day = client.post(
        f"/api/v1/subscriptions/{sub.pk}/billing-day/", {"billing_day": 32}, format="json"
    )
    assert (day.status_code, day.json()["field"]) == (400, "billing_day")
    charge = client.post(
        f"/api/v1/subscriptions/{sub.pk}/charges/",
        {"description": "Installation", "amount": "49.00"},
        format="json",
    )
    assert charge.status_code == 201, charge.json()
    # (the change "now" also charged the old plan's days since 1 January, never billed)
    assert client.get("/api/v1/charges/", {"kind": "one_time"}).json()["count"] == 1


def test_addons_promotions_and_bundles_through_the_api(tenant, api_client_for, make_subscription):
    from tests.conftest import tenant_tax

    client = api_client_for(tenant)
    tax = tenant_tax(tenant, "19")
    addon = client.post(
        "/api/v1/addons/",
        {"code": "ip", "name": "Static IP", "monthly_price": "5.00", "tax_rate": tax.pk},
        format="json",
    )
    assert addon.status_code == 201, addon.json()
    promo = client.post(
        "/api/v1/promotions/",
        {"code": "half", "name": "Half", "kind": "percent", "value": "50", "cycles": 3},
        format="json",
    )
    assert promo.status_code == 201, promo.json()
    bundle = client.post(
        "/api/v1/bundles/",
        {
            "code": "b",
            "name": "B",
            "discount_kind": "fixed",
            "discount_value": "1",
            "addons": [addon.json()["id"]],
        },
        format="json",
    )
    assert bundle.status_code == 201, bundle.json()
    bad = client.post(
        "/api/v1/promotions/",
        {"code": "x", "name": "X", "kind": "percent", "value": "101"},
        format="json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "value")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    attached = client.post(
        f"/api/v1/subscriptions/{sub.pk}/addons/",
        {"addon": addon.json()["id"], "quantity": 2, "start_date": "2026-01-01"},
        format="json",
    )
    assert attached.status_code == 201, attached.json()
    granted = client.post(
        f"/api/v1/subscriptions/{sub.pk}/promotions/",
        {"promotion": promo.json()["id"], "start_date": "2026-01-01"},
        format="json",
    )
    assert granted.status_code == 201, granted.json()
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    invoice = client.get("/api/v1/invoices/").json()["results"][0]
    # plan 30.00, 2 IPs 10.00, 50 % off the plan -15.00, bundle 1.00 x 2 off the IPs -2.00
    assert invoice["subtotal"] == "23.0000"


def test_transfers_statements_and_payment_methods_through_the_api(
    tenant, api_client_for, make_subscription
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_payments_in import camt053

    client = api_client_for(tenant, role="billing")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    method = client.post(
        "/api/v1/payment-methods/",
        {
            "customer": sub.customer_id,
            "kind": "bank_account",
            "iban": "DE89370400440532013000",
            "holder_name": "Ada",
            "mandate_reference": "M-1",
            "mandate_signed_on": "2025-12-01",
        },
        format="json",
    )
    assert method.status_code == 201, method.json()
    assert method.json()["display"] == "Bank ***3000" and "iban" not in method.json()
    bad = client.post(
        "/api/v1/payment-methods/",
        {"customer": sub.customer_id, "kind": "bank_account", "iban": "DE00", "holder_name": "X"},
        format="json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "iban")
    transfer = client.post(
        "/api/v1/bank-transfers/",
        {
            "customer": sub.customer_id,
            "amount": "10.00",
            "transferred_on": "2026-01-03",
            "proof": SimpleUploadedFile("proof.pdf", b"%PDF-1.4", "application/pdf"),
        },
        format="multipart",
    )
    assert transfer.status_code == 201, transfer.json()
    rejected = client.post(
        f"/api/v1/bank-transfers/{transfer.json()['id']}/reject/",
        {"reason": "not on our account"},
        format="json",
    )
    assert rejected.json()["status"] == "rejected"
    statement = client.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("jan.xml", camt053([("A1", "35.70", "CRDT", "who?", "")]))},
        format="multipart",
    )
    assert statement.status_code == 201, statement.json()
    assert statement.json()["lines_unmatched"] == 1
    line = client.get("/api/v1/statement-lines/", {"status": "unmatched"}).json()["results"][0]
    matched = client.post(
        f"/api/v1/statement-lines/{line['id']}/match/", {"customer": sub.customer_id}, format="json"
    )
    assert matched.json()["status"] == "matched"
    assert client.get("/api/v1/invoices/").json()["results"][0]["status"] == "paid"


def test_direct_debit_through_the_api(make_tenant, api_client_for, make_subscription):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ispstack.payments.methods import add_bank_account
    from tests.test_direct_debit import pain002

    tenant = make_tenant(
        sepa_creditor_id="DE98ZZZ09999999999",
        sepa_creditor_iban="DE89370400440532013000",
        sepa_creditor_bic="COBADEFFXXX",
    )
    client = api_client_for(tenant, role="billing")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    add_bank_account(
        customer=sub.customer,
        iban="DE44500105175407324931",
        holder_name="Ada",
        mandate_reference="M-9",
        mandate_signed_on=dt.date(2025, 12, 1),
    )
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    batch = client.post(
        "/api/v1/direct-debit-batches/", {"collection_date": "2026-01-15"}, format="json"
    )
    assert batch.status_code == 201, batch.json()
    xml = client.get(f"/api/v1/direct-debit-batches/{batch.json()['id']}/xml/")
    assert b"<SeqTp>FRST</SeqTp>" in xml.content
    assert (
        client.post(f"/api/v1/direct-debit-batches/{batch.json()['id']}/settle/").json()["status"]
        == "settled"
    )
    e2e = xml.content.split(b"<EndToEndId>")[1].split(b"<")[0].decode()
    returned = client.post(
        "/api/v1/direct-debit-batches/returns/",
        {"file": SimpleUploadedFile("ret.xml", pain002((e2e, "MD01")))},
        format="multipart",
    )
    assert returned.json() == [{"end_to_end_id": e2e, "reason": "MD01"}]
    assert client.get("/api/v1/invoices/").json()["results"][0]["status"] == "issued"


def test_actions_on_an_object_need_the_change_permission(tenant, api_client_for, make_subscription):
    sub = make_subscription(tenant)
    support = api_client_for(tenant, role="support")  # subscriptions: view only
    denied = support.post(
        f"/api/v1/subscriptions/{sub.pk}/suspend/", {"reason": "x"}, format="json"
    )
    assert denied.status_code == 403
    billing = api_client_for(tenant, role="billing")  # subscriptions: change and view
    allowed = billing.post(
        f"/api/v1/subscriptions/{sub.pk}/suspend/", {"reason": "unpaid"}, format="json"
    )
    assert allowed.json()["status"] == "suspended"
