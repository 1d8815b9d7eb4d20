"""The customer portal's API (/api/v1/portal/): portal tokens (made by the
portal login with its lockout, stored hashed, expiring, revocable) and only
portal tokens open it, the figures equal the portal pages', every id of
another customer or tenant answers 404, hostile input answers 400 in the
API's error shape, and a request costs the same queries for one document or
many."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ispstack.billing.models import CreditNote, Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock
from ispstack.core.display import tenant_money
from ispstack.core.models import AuditLog
from ispstack.core.money import round_money
from ispstack.payments.models import Payment
from ispstack.payments.selectors import account_balance
from ispstack.payments.services import record_payment
from ispstack.portal import selectors
from ispstack.portal.models import PortalToken
from ispstack.portal.services import create_login
from tests.test_portal import PASSWORD, _customer, _documents_and_usage

pytestmark = pytest.mark.django_db
D = dt.date
API = "/api/v1/portal"


@pytest.fixture
def world(tenant, make_tenant, make_customer, make_subscription, make_plan):
    """The portal pages' world: ours (with a portal login), a neighbour in the
    same tenant and a customer of another tenant (with a login of its own),
    each with two services, three months of invoices, a payment, a credit
    note, an open and a closed session and 85 GB used this cycle."""
    other_tenant = make_tenant(slug="othernet", name="Other Net")
    made = {
        "ours": (tenant, "Thandi Mokoena"),
        "neighbour": (tenant, "Neighbour"),
        "foreign": (other_tenant, "Foreign"),
    }
    customers = {
        key: _customer(owner, make_customer, make_subscription, make_plan, name)
        for key, (owner, name) in made.items()
    }
    for owner in (tenant, other_tenant):
        for month in (1, 2, 3):
            run_billing(tenant=owner, as_of=D(2026, month, 1))
    world = {key: _documents_and_usage(made[key][0], *customers[key]) for key in made}
    world["user"] = create_login(
        customer=customers["ours"][0], email="thandi@example.net", password=PASSWORD
    )
    world["foreign_user"] = create_login(
        customer=customers["foreign"][0], email="foreign@example.net", password=PASSWORD
    )
    return world


def _ask_token(client, tenant, login="thandi@example.net", password=PASSWORD, name=None, **extra):
    body = {"tenant": tenant.slug, "login": login, "password": password}
    if name is not None:
        body["name"] = name
    return client.post(f"{API}/auth/token/", body, format="json", **extra)


def _client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def raw_token(tenant, world) -> str:
    answer = _ask_token(APIClient(), tenant)
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


@pytest.fixture
def api(raw_token) -> APIClient:
    return _client_with(raw_token)


@pytest.fixture
def page(client: Client, tenant, world) -> Client:
    """A browser signed in to the portal, to compare the API with the pages."""
    answer = client.post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": PASSWORD}
    )
    assert answer.status_code == 302
    return client


def _error(answer, status: int, code: str | None = None, field: str | None = "any") -> dict:
    assert answer.status_code == status, (answer.status_code, answer.content[:300])
    body = answer.json()
    assert set(body) == {"code", "field", "detail"}, body
    if code is not None:
        assert body["code"] == code, body
    if field != "any":
        assert body["field"] == field, body
    return body


def _money(amount, currency) -> dict[str, str]:
    """Money as the API writes it: a string rounded to the currency's minor unit."""
    return {"amount": str(round_money(amount, currency)), "currency": currency}


# Tokens.


def test_a_login_by_email_or_account_number_gets_a_token_stored_only_hashed(tenant, world):
    customer = world["ours"][0]
    answer = _ask_token(APIClient(), tenant, login="THANDI@example.net", name="My app")
    assert answer.status_code == 200
    body = answer.json()
    raw = body["token"]
    assert raw.startswith("ispc_") and body["prefix"] == raw[:16] and body["name"] == "My app"
    row = PortalToken.objects.get(prefix=body["prefix"])
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {row.prefix, row.digest, row.name}
    assert row.user == world["user"] and row.tenant == tenant
    # It expires PORTAL_API_TOKEN_DAYS from now.
    assert row.expires > clock.now() + dt.timedelta(days=29)
    assert _client_with(raw).get(f"{API}/account/").json()["account_number"] == (
        customer.account_number
    )
    by_number = _ask_token(APIClient(), tenant, login=customer.account_number)
    assert by_number.status_code == 200
    assert AuditLog.objects.filter(tenant=tenant, action="portal.api_token.create").count() == 2
    assert AuditLog.objects.filter(tenant=tenant, action="portal.login").count() == 2


def test_a_wrong_password_unknown_tenant_or_another_tenants_login_is_refused(tenant, world):
    client = APIClient()
    body = _error(_ask_token(client, tenant, password="nope"), 400, "invalid", None)
    assert "unable to sign in" in body["detail"]
    assert AuditLog.objects.filter(action="portal.login_failed", tenant=tenant).exists()
    _error(_ask_token(client, world["foreign"][0].tenant), 400, "invalid", None)
    answer = client.post(
        f"{API}/auth/token/",
        {"tenant": "no-such-isp", "login": "thandi@example.net", "password": PASSWORD},
        format="json",
    )
    _error(answer, 400, "invalid", "tenant")
    _error(_ask_token(client, tenant, login="   "), 400, "required", "login")
    assert not PortalToken.objects.exists()


def test_wrong_passwords_lock_the_login_out_of_the_api_and_the_pages(tenant, world, settings):
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _ask_token(client, tenant, password=f"wrong-{n}").status_code == 400
    locked = _ask_token(client, tenant, password="wrong-last")
    _error(locked, 429, "locked_out", "login")
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    # The right password is refused too, by the API and the sign-in page (one
    # count for both), from this address and for this login only.
    _error(_ask_token(client, tenant), 429, "locked_out")
    page = Client().post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": PASSWORD}
    )
    assert page.status_code == 429
    assert _ask_token(APIClient(), tenant, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert PortalToken.objects.count() == 1


def test_a_staff_token_or_session_never_opens_the_portal_api(tenant, world, api_client_for):
    staff = api_client_for(tenant, "admin")
    assert staff.get("/api/v1/customers/").status_code == 200
    for path in ("account/", "invoices/", "subscriptions/", "auth/tokens/"):
        _error(staff.get(f"{API}/{path}"), 401, "authentication_failed")
    session = APIClient()
    session.force_login(staff.user)
    _error(session.get(f"{API}/account/"), 401, "not_authenticated")
    _error(APIClient().get(f"{API}/account/"), 401, "not_authenticated")


def test_a_portal_token_never_opens_the_staff_api(api, raw_token):
    assert api.get(f"{API}/account/").status_code == 200
    for path in ("/api/v1/customers/", "/api/v1/invoices/", "/api/v1/auth/tokens/"):
        _error(api.get(path), 401, "authentication_failed")
    token_header = APIClient()
    token_header.credentials(HTTP_AUTHORIZATION=f"Token {raw_token}")
    _error(token_header.get("/api/v1/customers/"), 401)


def test_an_expired_or_revoked_token_answers_401(api, tenant, world, settings):
    assert api.get(f"{API}/account/").status_code == 200
    later = clock.now() + dt.timedelta(days=settings.PORTAL_API_TOKEN_DAYS, minutes=1)
    with clock.simulated(later):
        body = _error(api.get(f"{API}/account/"), 401, "authentication_failed")
        assert "expired" in body["detail"]
    listed = api.get(f"{API}/auth/tokens/").json()["results"]
    assert len(listed) == 1 and listed[0]["revoked"] is None and "token" not in listed[0]
    prefix = listed[0]["prefix"]
    assert api.delete(f"{API}/auth/tokens/{prefix}/").status_code == 204
    body = _error(api.get(f"{API}/account/"), 401, "authentication_failed")
    assert "revoked" in body["detail"]
    assert PortalToken.objects.get(prefix=prefix).revoked is not None
    assert AuditLog.objects.filter(tenant=tenant, action="portal.api_token.revoke").count() == 1


def test_a_switched_off_login_or_a_foreign_prefix_is_refused(api, tenant, world):
    foreign = _ask_token(APIClient(), world["foreign"][0].tenant, login="foreign@example.net")
    prefix = foreign.json()["prefix"]
    # Another user's token cannot be revoked (nor seen) through ours.
    _error(api.delete(f"{API}/auth/tokens/{prefix}/"), 404, "not_found")
    assert PortalToken.objects.get(prefix=prefix).revoked is None
    world["user"].is_active = False
    world["user"].save()
    _error(api.get(f"{API}/account/"), 401, "authentication_failed")


# The figures equal the pages'.


def test_the_account_equals_the_dashboard(api, page, tenant, world):
    customer = world["ours"][0]
    body = api.get(f"{API}/account/").json()
    owed = account_balance(customer)
    assert owed > 0
    assert body["balance"] == {
        "amount": str(round_money(owed, customer.currency)),
        "currency": customer.currency,
    }
    assert body["credit"] == {"amount": "0.00", "currency": customer.currency}
    assert body["status"] == customer.status and body["name"] == "Thandi Mokoena"
    html = page.get(f"/my/{tenant.slug}/").content.decode()
    assert tenant_money(Decimal(body["balance"]["amount"]), tenant) in html
    board = selectors.dashboard(customer, clock.today(tenant))
    assert board.next_invoice is not None
    nxt = body["next_invoice"]
    assert nxt["date"] == board.next_invoice.date.isoformat()
    assert nxt["amount"]["currency"] == board.next_invoice.currency
    assert tenant_money(Decimal(nxt["amount"]["amount"]), tenant) in html
    assert f"on {nxt['date']} (estimate)" in html


def test_services_show_plan_speed_ip_online_and_usage_against_the_cap(api, page, tenant, world):
    _customer_, subs, _payment, _note = world["ours"]
    services = api.get(f"{API}/subscriptions/").json()
    assert [s["id"] for s in services] == [subs[0].pk, subs[1].pk]
    capped, plain = services
    assert capped["plan"]["name"] == subs[0].plan.name and capped["plan"]["download_kbps"] == 50000
    assert capped["online"] is True and capped["ip_address"] == "100.64.9.7"
    assert capped["session"]["ip_address"] == "100.64.9.7"
    assert 2 * 3600 + 5 * 60 <= capped["session"]["online_seconds"] < 2 * 3600 + 7 * 60
    usage = capped["usage"]
    assert usage["used_bytes"] == 85 * 10**9 and usage["allowance_bytes"] == 100 * 10**9
    assert usage["percent"] == 85 and usage["level"] == "80"
    assert usage["marks"] == [
        {"percent": 80, "reached": True},
        {"percent": 95, "reached": False},
        {"percent": 100, "reached": False},
    ]
    assert plain["online"] is False and plain["session"] is None
    assert plain["usage"]["allowance_bytes"] is None and plain["usage"]["level"] is None
    html = page.get(f"/my/{tenant.slug}/").content.decode()
    assert "85\xa0GB of 100\xa0GB used (85 %)" in html and "over 80 %" in html

    detail = api.get(f"{API}/subscriptions/{subs[0].pk}/").json()
    assert detail["plan"] == capped["plan"] and detail["usage"] == usage
    closed = [row for row in detail["sessions"] if row["stop"] is not None]
    assert closed[0]["seconds"] == 3 * 3600 and closed[0]["total_bytes"] == 45 * 10**8
    assert any(row["stop"] is None for row in detail["sessions"])
    service_page = page.get(f"/my/{tenant.slug}/services/{subs[0].pk}/").content.decode()
    assert "4.5\xa0GB" in service_page and "100.64.9.7" in service_page

    daily = api.get(f"{API}/subscriptions/{subs[0].pk}/usage/").json()
    assert daily["subscription"] == subs[0].pk and daily["usage"] == usage
    assert daily["days"] == [
        {
            "day": clock.today(tenant).isoformat(),
            "upload_bytes": 5 * 10**9,
            "download_bytes": 80 * 10**9,
            "total_bytes": 85 * 10**9,
        }
    ]


def test_invoices_credit_notes_payments_and_their_pdfs_equal_the_pages(api, page, tenant, world):
    customer, _subs, payment, note = world["ours"]
    html = page.get(f"/my/{tenant.slug}/invoices/").content.decode()
    listed = api.get(f"{API}/invoices/").json()
    invoices = list(selectors.invoices_of(customer))
    assert listed["count"] == len(invoices) == 6  # three months of two services
    assert [i["number"] for i in listed["results"]] == [i.number for i in invoices]
    for row, invoice in zip(listed["results"], invoices, strict=True):
        assert row["number"] in html
        assert row["total"] == _money(invoice.total, invoice.currency)
        assert row["amount_due"] == _money(invoice.amount_due, invoice.currency)
        assert tenant_money(invoice.total, tenant) in html
        detail = api.get(f"{API}/invoices/{invoice.pk}/").json()
        assert detail["lines"] and sum(
            Decimal(line["total"]["amount"]) for line in detail["lines"]
        ) == Decimal(detail["total"]["amount"])
        pdf = api.get(f"{API}/invoices/{invoice.pk}/pdf/")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'

    notes = api.get(f"{API}/credit-notes/").json()["results"]
    assert [n["number"] for n in notes] == [note.number] and note.number in html
    assert notes[0]["invoice"] == note.invoice.number
    assert notes[0]["total"] == _money(note.total, note.currency)
    assert api.get(f"{API}/credit-notes/{note.pk}/").json()["lines"]
    assert api.get(f"{API}/credit-notes/{note.pk}/pdf/").content.startswith(b"%PDF")

    payments_html = page.get(f"/my/{tenant.slug}/payments/").content.decode()
    payments = api.get(f"{API}/payments/").json()["results"]
    assert [p["id"] for p in payments] == [payment.pk]
    assert payments[0]["received_on"] == "2026-04-02" and "2026-04-02" in payments_html
    assert payments[0]["amount"] == {"amount": "20.00", "currency": customer.currency}
    assert tenant_money("20.00", tenant) in payments_html
    paid = {a["invoice"] for a in payments[0]["allocations"]}
    assert paid and paid <= {i.number for i in invoices}
    assert api.get(f"{API}/payments/{payment.pk}/").json() == payments[0]
    receipt = api.get(f"{API}/payments/{payment.pk}/receipt/")
    assert receipt.content.startswith(b"%PDF") and receipt["Content-Disposition"].startswith(
        "attachment"
    )
    assert receipt["Cache-Control"] == "no-store, private"


def test_the_statement_pdf_covers_the_dates_asked_and_names_a_bad_date(api, world):
    answer = api.get(f"{API}/statement/?start=2026-01-01&end=2026-06-30")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert api.get(f"{API}/statement/").content.startswith(b"%PDF")
    _error(api.get(f"{API}/statement/?start=2026-13-01"), 400, "invalid", "start")
    _error(api.get(f"{API}/statement/?end=9999-12-31"), 400, "invalid", "end")
    body = _error(api.get(f"{API}/statement/?start=2026-06-01&end=2026-01-01"), 400, None, "start")
    assert "after the end date" in body["detail"]


# Scoping: another customer's or tenant's ids answer 404.


def _id_urls(account) -> list[str]:
    customer, subs, payment, note = account
    invoice = Invoice.objects.filter(customer=customer).first()
    assert invoice is not None
    return [
        f"{API}/subscriptions/{subs[0].pk}/",
        f"{API}/subscriptions/{subs[0].pk}/usage/",
        f"{API}/invoices/{invoice.pk}/",
        f"{API}/invoices/{invoice.pk}/pdf/",
        f"{API}/credit-notes/{note.pk}/",
        f"{API}/credit-notes/{note.pk}/pdf/",
        f"{API}/payments/{payment.pk}/",
        f"{API}/payments/{payment.pk}/receipt/",
    ]


def test_every_id_of_another_customer_or_tenant_answers_404(api, world):
    for url in _id_urls(world["ours"]):
        assert api.get(url).status_code == 200, url
    for key in ("neighbour", "foreign"):
        for url in _id_urls(world[key]):
            _error(api.get(url), 404, "not_found", None)
    # Lists hold only the customer's own rows.
    ours = world["ours"][0]
    numbers = {i["number"] for i in api.get(f"{API}/invoices/").json()["results"]}
    assert numbers == set(Invoice.objects.filter(customer=ours).values_list("number", flat=True))
    notes = {n["id"] for n in api.get(f"{API}/credit-notes/").json()["results"]}
    assert notes == set(CreditNote.objects.filter(customer=ours).values_list("pk", flat=True))
    payments = {p["id"] for p in api.get(f"{API}/payments/").json()["results"]}
    assert payments == set(Payment.objects.filter(customer=ours).values_list("pk", flat=True))
    services = {s["id"] for s in api.get(f"{API}/subscriptions/").json()}
    assert services == {s.pk for s in world["ours"][1]}


# Hostile input.


@pytest.mark.parametrize(
    "path",
    [
        "subscriptions/abc/",
        "subscriptions/-1/",
        f"subscriptions/{2**70}/usage/",
        "invoices/1.5/",
        f"invoices/{2**63}/pdf/",
        "credit-notes/%00/",
        "payments/99999999999999999999/receipt/",
    ],
)
def test_malformed_or_huge_ids_answer_404(api, path):
    _error(api.get(f"{API}/{path}"), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=-1",
        "offset=100000000000000000000",
        "offset=99999999999",
        "limit=%D9%A1%D9%A2",
    ],
)
def test_hostile_paging_answers_400_naming_the_parameter(api, query):
    for path in ("invoices", "credit-notes", "payments", "auth/tokens"):
        body = _error(api.get(f"{API}/{path}/?{query}"), 400, "invalid")
        assert body["field"] in ("limit", "offset")


def test_a_page_past_the_end_is_empty_and_a_huge_limit_is_cut(api):
    answer = api.get(f"{API}/invoices/?offset=1000000")
    assert answer.status_code == 200 and answer.json()["results"] == []
    assert len(api.get(f"{API}/invoices/?limit=999999").json()["results"]) == 6


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tenant", 12345),
        ("tenant", ["x"]),
        ("login", {"a": 1}),
        ("login", None),
        ("login", "x" * 255),
        ("password", 1234),
        ("password", "x" * 4097),
        ("name", ["x"]),
        ("name", "x" * 101),
        ("login", "bad\x00login"),
    ],
)
def test_spoilt_token_requests_are_refused_naming_the_field(tenant, world, field, value):
    body = {"tenant": tenant.slug, "login": "thandi@example.net", "password": PASSWORD}
    body[field] = value
    answer = APIClient().post(f"{API}/auth/token/", body, format="json")
    _error(answer, 400, None, field)
    assert not PortalToken.objects.exists()


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"[" * 10_000 + b"]" * 10_000, "application/json"),
        (b"\xff\xfe=\x00", "application/x-www-form-urlencoded"),
    ],
)
def test_hostile_token_bodies_answer_400(tenant, world, raw, content_type):
    answer = APIClient().generic("POST", f"{API}/auth/token/", raw, content_type=content_type)
    _error(answer, 400)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer " + "x" * 500, "Bearer ispc_nothing", "Token \u00e9t\u00e9"],
)
def test_malformed_authorization_headers_answer_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    _error(client.get(f"{API}/account/"), 401)


# Constant queries.


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.content[:200])
    return len(captured)


def test_each_route_reads_in_the_same_number_of_queries_for_one_or_many_documents(
    tenant, make_customer, make_subscription, django_assert_max_num_queries
):
    customer = make_customer(tenant, name="Few")
    sub = make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    payment = record_payment(
        tenant=tenant, customer=customer, amount="5.00", received_on=D(2026, 1, 2)
    )
    create_login(customer=customer, email="few@example.net", password=PASSWORD)
    answer = _ask_token(APIClient(), tenant, login="few@example.net")
    api = _client_with(answer.json()["token"])
    invoice = Invoice.objects.get(customer=customer)
    urls = [
        f"{API}/account/",
        f"{API}/subscriptions/",
        f"{API}/subscriptions/{sub.pk}/",
        f"{API}/subscriptions/{sub.pk}/usage/",
        f"{API}/invoices/",
        f"{API}/invoices/{invoice.pk}/",
        f"{API}/credit-notes/",
        f"{API}/payments/",
        f"{API}/payments/{payment.pk}/",
    ]
    # Warm up: the token's first use writes last_used once.
    api.get(f"{API}/account/")
    counts = {url: _queries(api, url) for url in urls}
    for n in range(1, 20):
        # Twenty months of invoices and twenty payments.
        run_billing(tenant=tenant, as_of=D(2026 + n // 12, n % 12 + 1, 1))
        record_payment(tenant=tenant, customer=customer, amount="5.00", received_on=D(2026, 1, 3))
    make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    assert Payment.objects.filter(customer=customer).count() == 20
    assert Invoice.objects.filter(customer=customer).count() == 20
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            assert api.get(url).status_code == 200, url
