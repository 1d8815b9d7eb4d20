"""The customer portal (/my/<tenant>/): portal logins are not staff, sign-in
with lockout and idle expiry, invitation and password reset through real
mail (aiosmtpd), every page and document scoped to the signed-in customer
(another customer's or tenant's ids answer 404), what the pages show, and a
constant number of queries per page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock, outbox
from ispstack.core.display import tenant_money
from ispstack.core.models import AuditLog, Job
from ispstack.payments.models import Payment
from ispstack.payments.selectors import account_balance
from ispstack.payments.services import record_payment
from ispstack.portal.models import PortalRole, PortalUser
from ispstack.portal.services import create_login
from ispstack.radius.models import RadAcct
from ispstack.usage.models import DailyUsage
from tests.portal_browser import sign_in

pytestmark = pytest.mark.django_db
D = dt.date
PASSWORD = "Portal-pass-2026"


def _customer(tenant, make_customer, make_subscription, make_plan, name):
    """A customer with a capped service (100 GB, online) and a plain one."""
    customer = make_customer(tenant, name=name)
    capped = make_plan(
        tenant, data_cap_bytes=100 * 10**9, name=f"Fibre 50 capped {name}", download_kbps=50000
    )
    subs = [
        make_subscription(tenant, customer=customer, plan=capped, start_date=D(2026, 1, 1)),
        make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1)),
    ]
    return customer, subs


def _documents_and_usage(tenant, customer, subs):
    """A payment, a credit note, an open and a closed session and 85 GB used
    this cycle; returns (customer, subs, payment, credit note)."""
    payment = record_payment(
        tenant=tenant, customer=customer, amount="20.00", received_on=D(2026, 4, 2)
    )
    invoice = Invoice.objects.filter(customer=customer).order_by("issue_date").last()
    note = create_credit_note(invoice=invoice, reason="Outage")
    now = clock.now()
    RadAcct.objects.create(
        acctsessionid=f"open-{subs[0].pk}",
        acctuniqueid=f"open-{subs[0].pk}",
        username=subs[0].username,
        nasipaddress="192.0.2.1",
        acctstarttime=now - dt.timedelta(hours=2, minutes=5),
        acctinputoctets=10**8,
        acctoutputoctets=2 * 10**9,
        framedipaddress="100.64.9.7",
    )
    RadAcct.objects.create(
        acctsessionid=f"closed-{subs[0].pk}",
        acctuniqueid=f"closed-{subs[0].pk}",
        username=subs[0].username,
        nasipaddress="192.0.2.1",
        acctstarttime=now - dt.timedelta(days=1, hours=3),
        acctstoptime=now - dt.timedelta(days=1),
        acctsessiontime=3 * 3600,
        acctinputoctets=5 * 10**8,
        acctoutputoctets=4 * 10**9,
        framedipaddress="100.64.9.7",
    )
    DailyUsage.objects.create(
        tenant=tenant,
        subscription=subs[0],
        day=clock.today(tenant),
        input_octets=5 * 10**9,
        output_octets=80 * 10**9,
    )
    return customer, subs, payment, note


@pytest.fixture
def world(tenant, make_tenant, make_customer, make_subscription, make_plan):
    """Ours (with a portal login), a neighbour in the same tenant, and a
    customer of another tenant: each with two services, invoices for three
    months, a payment and a credit note."""
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
    return world


def _base(tenant):
    return f"/my/{tenant.slug}"


def _sign_in(client, tenant, login="thandi@example.net", password=PASSWORD, **extra):
    return client.post(f"{_base(tenant)}/login/", {"login": login, "password": password}, **extra)


@pytest.fixture
def portal(client: Client, tenant, world):
    assert _sign_in(client, tenant).status_code == 302
    return client


# Sign-in and what a portal session may reach.


def test_signing_in_by_email_or_account_number_opens_the_dashboard(client, tenant, world):
    customer = world["ours"][0]
    assert client.get(f"{_base(tenant)}/").status_code == 302  # not signed in: to the login
    answer = _sign_in(client, tenant, login="THANDI@example.net")
    assert answer.status_code == 302 and answer["Location"] == f"{_base(tenant)}/"
    page = client.get(f"{_base(tenant)}/").content.decode()
    assert "Thandi Mokoena" in page and customer.account_number in page
    client.post(f"{_base(tenant)}/logout/")
    assert client.get(f"{_base(tenant)}/").status_code == 302
    assert _sign_in(client, tenant, login=customer.account_number).status_code == 302
    assert client.get(f"{_base(tenant)}/").status_code == 200
    assert AuditLog.objects.filter(action="portal.login", tenant=tenant).count() == 2


def test_a_wrong_password_or_another_tenants_portal_refuses_the_sign_in(client, tenant, world):
    wrong = _sign_in(client, tenant, password="nope")
    assert wrong.status_code == 400 and "wrong" in wrong.content.decode()
    assert client.get(f"{_base(tenant)}/").status_code == 302
    # The login belongs to the tenant in the URL only.
    assert _sign_in(client, world["foreign"][0].tenant).status_code == 400
    assert AuditLog.objects.filter(action="portal.login_failed", tenant=tenant).exists()


def test_next_leads_back_to_the_page_asked_for_but_never_off_the_portal(client, tenant, world):
    first = client.get(f"{_base(tenant)}/invoices/")
    assert first["Location"] == f"{_base(tenant)}/login/?next=%2Fmy%2F{tenant.slug}%2Finvoices%2F"
    answer = client.post(
        f"{_base(tenant)}/login/",
        {"login": "thandi@example.net", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert answer["Location"] == f"{_base(tenant)}/"
    client.post(f"{_base(tenant)}/logout/")
    answer = client.post(
        f"{_base(tenant)}/login/",
        {"login": "thandi@example.net", "password": PASSWORD, "next": f"{_base(tenant)}/invoices/"},
    )
    assert answer["Location"] == f"{_base(tenant)}/invoices/"


def test_wrong_passwords_lock_the_login_out_like_staff_logins(client, tenant, world, settings):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, tenant, password=f"wrong-{n}").status_code == 400
    locked = _sign_in(client, tenant, password="wrong-last")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert "Too many wrong passwords" in locked.content.decode()
    # The right password is refused too, from this address, for this login only.
    assert _sign_in(client, tenant).status_code == 429
    assert client.get(f"{_base(tenant)}/").status_code == 302
    assert _sign_in(Client(), tenant, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_a_portal_session_never_reaches_the_staff_console_admin_or_api(portal, tenant):
    assert portal.get("/staff/").status_code == 302
    assert portal.get("/staff/customers/").status_code == 302
    admin = portal.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]
    assert portal.get("/api/v1/customers/").status_code in (401, 403)
    assert "_auth_user_id" not in portal.session


def test_a_staff_session_is_not_a_portal_session(client, tenant, world, make_staff):
    staff = make_staff(tenant, "admin")
    client.force_login(staff)
    assert client.get(f"{_base(tenant)}/").status_code == 302
    # Signing in to the portal ends the staff login in that session.
    assert _sign_in(client, tenant).status_code == 302
    assert client.get(f"{_base(tenant)}/").status_code == 200
    assert client.get("/staff/").status_code == 302
    # A staff login on top of a portal session turns the portal away.
    client.force_login(staff)
    assert client.get(f"{_base(tenant)}/").status_code == 302


def test_a_session_ends_after_the_idle_time(portal, tenant, settings):
    assert portal.get(f"{_base(tenant)}/").status_code == 200
    later = clock.now() + dt.timedelta(minutes=settings.PORTAL_IDLE_MINUTES - 1)
    with clock.simulated(later):
        assert portal.get(f"{_base(tenant)}/").status_code == 200
    with clock.simulated(later + dt.timedelta(minutes=settings.PORTAL_IDLE_MINUTES - 1)):
        assert portal.get(f"{_base(tenant)}/").status_code == 200  # each visit counts
    idle = later + dt.timedelta(minutes=2 * settings.PORTAL_IDLE_MINUTES + 1)
    with clock.simulated(idle):
        assert portal.get(f"{_base(tenant)}/").status_code == 302
    assert portal.get(f"{_base(tenant)}/").status_code == 302  # the session is gone


def test_a_switched_off_login_or_a_changed_password_ends_the_session(portal, tenant, world):
    user = world["user"]
    user.set_password("Another-pass-2026")
    user.save()
    assert portal.get(f"{_base(tenant)}/").status_code == 302
    assert _sign_in(portal, tenant, password="Another-pass-2026").status_code == 302
    PortalUser.objects.filter(pk=user.pk).update(is_active=False)
    assert portal.get(f"{_base(tenant)}/").status_code == 302
    assert _sign_in(portal, tenant, password="Another-pass-2026").status_code == 400


# Scoping: another customer's ids answer 404.


def _urls_of(tenant, account):
    customer, subs, payment, note = account
    invoice = Invoice.objects.filter(customer=customer).first()
    base = _base(tenant)
    return [
        f"{base}/services/{subs[0].pk}/",
        f"{base}/invoices/{invoice.pk}/pdf/",
        f"{base}/credit-notes/{note.pk}/pdf/",
        f"{base}/payments/{payment.pk}/receipt/",
    ]


def test_every_id_of_another_customer_or_tenant_answers_404(portal, tenant, world):
    for url in _urls_of(tenant, world["ours"]):
        answer = portal.get(url)
        assert answer.status_code == 200, url
    for key in ("neighbour", "foreign"):
        for url in _urls_of(tenant, world[key]):
            assert portal.get(url).status_code == 404, (key, url)
    # Lists show only the customer's own documents.
    listing = portal.get(f"{_base(tenant)}/invoices/").content.decode()
    for invoice in Invoice.objects.filter(customer=world["neighbour"][0]):
        assert invoice.number not in listing


def test_another_tenants_portal_sends_the_user_to_its_own_sign_in(portal, tenant, world):
    other = world["foreign"][0].tenant
    foreign_sub = world["foreign"][1][0]
    answer = portal.get(f"/my/{other.slug}/services/{foreign_sub.pk}/")
    assert answer.status_code == 302 and answer["Location"].startswith(f"/my/{other.slug}/login/")
    assert portal.get("/my/no-such-isp/login/").status_code == 404


# What the pages show.


def test_the_dashboard_shows_balance_next_invoice_status_and_usage(portal, tenant, world):
    customer, subs, _payment, _note = world["ours"]
    page = portal.get(f"{_base(tenant)}/").content.decode()
    owed = account_balance(customer)
    assert owed > 0
    assert tenant_money(owed, tenant) in page  # money with the tenant's symbol
    assert "owed" in page
    assert "Next invoice" in page and "(estimate)" in page
    assert "Online" in page and "Offline" in page
    assert "for 2\xa0h 5\xa0min" in page
    # 85 GB of 100 GB: past the 80 % mark, the bar says so.
    assert "85\xa0GB of 100\xa0GB used (85 %)" in page
    assert "over 80 %" in page and 'class="bar level-80"' in page
    assert "no data cap" in page


def test_the_service_page_shows_plan_speed_ip_and_sessions(portal, tenant, world):
    sub = world["ours"][1][0]
    page = portal.get(f"{_base(tenant)}/services/{sub.pk}/").content.decode()
    assert sub.plan.name in page
    assert "50\xa0Mbit/s down" in page
    assert "100.64.9.7" in page
    assert "4.5\xa0GB" in page and "3\xa0h" in page  # the closed session
    assert "still online" in page


def test_invoices_credit_notes_and_payments_are_listed_with_pdfs(portal, tenant, world):
    customer, _subs, payment, note = world["ours"]
    invoices = portal.get(f"{_base(tenant)}/invoices/").content.decode()
    for invoice in Invoice.objects.filter(customer=customer):
        assert invoice.number in invoices
        pdf = portal.get(f"{_base(tenant)}/invoices/{invoice.pk}/pdf/")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert note.number in invoices
    assert portal.get(f"{_base(tenant)}/credit-notes/{note.pk}/pdf/").content.startswith(b"%PDF")
    payments = portal.get(f"{_base(tenant)}/payments/").content.decode()
    assert "2026-04-02" in payments and tenant_money("20.00", tenant) in payments
    receipt = portal.get(f"{_base(tenant)}/payments/{payment.pk}/receipt/")
    assert receipt.content.startswith(b"%PDF")
    assert receipt["Content-Disposition"].startswith("attachment")


def test_the_statement_pdf_covers_the_dates_asked_and_names_a_bad_date(portal, tenant, world):
    answer = portal.get(f"{_base(tenant)}/statement.pdf?start=2026-01-01&end=2026-06-30")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert portal.get(f"{_base(tenant)}/statement.pdf").content.startswith(b"%PDF")
    bad = portal.get(f"{_base(tenant)}/statement.pdf?start=2026-13-01")
    assert bad.status_code == 400 and "start" in bad.content.decode()
    reversed_ = portal.get(f"{_base(tenant)}/statement.pdf?start=2026-06-01&end=2026-01-01")
    assert reversed_.status_code == 400 and "after the end date" in reversed_.content.decode()


@pytest.mark.parametrize("query", ["?page=abc", "?page=-3", "?page=99999999999"])
def test_bad_page_numbers_never_break_a_list(portal, tenant, world, query):
    assert portal.get(f"{_base(tenant)}/invoices/{query}").status_code == 200
    assert portal.get(f"{_base(tenant)}/payments/{query}").status_code == 200


# Constant queries per page.


def _cold_get(client, url):
    """GET ``url`` with the shared cache emptied first. The cache (the
    portal host answer, kept 60 s; a per-process LRU that culls) is warm or
    cold by timing, so a count taken with it would depend on the machine."""
    cache.clear()
    return client.get(url)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert _cold_get(client, url).status_code == 200
    return len(captured)


def test_each_page_reads_in_the_same_number_of_queries_for_one_or_many_documents(
    client, tenant, make_customer, make_subscription, django_assert_max_num_queries
):
    customer = make_customer(tenant, name="Few")
    sub = make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    record_payment(tenant=tenant, customer=customer, amount="5.00", received_on=D(2026, 1, 2))
    create_login(customer=customer, email="few@example.net", password=PASSWORD)
    _sign_in(client, tenant, login="few@example.net")
    base = _base(tenant)
    pages = [f"{base}/", f"{base}/invoices/", f"{base}/payments/", f"{base}/services/{sub.pk}/"]
    counts = {url: _queries(client, url) for url in pages}
    for month in range(2, 7):
        run_billing(tenant=tenant, as_of=D(2026, month, 1))
        record_payment(
            tenant=tenant, customer=customer, amount="5.00", received_on=D(2026, month, 2)
        )
    make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    assert Invoice.objects.filter(customer=customer).count() >= 6
    assert Payment.objects.filter(customer=customer).count() == 6
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            assert _cold_get(client, url).status_code == 200


# Invitation and password reset, through a real SMTP server.


def _mail_to(smtp_server, address):
    """The messages the outbox sends to ``address``; the world's invoice
    emails are dropped first (rendering their PDFs is slow and beside the point)."""
    Job.objects.exclude(kind__startswith="portal.").delete()
    outbox.drain()
    return [m for m in smtp_server.messages if m["To"] == address]


def _link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"https?://\S+", body).group(0)


def test_staff_invite_a_billing_contact_who_chooses_a_password_and_signs_in(
    client, tenant, world, make_staff, smtp_server
):
    customer = world["ours"][0]
    staff = make_staff(tenant, "support")
    client.force_login(staff)
    assert "portal-invite" in client.get(f"/staff/customers/{customer.pk}/").content.decode()
    form = client.get(f"/staff/customers/{customer.pk}/portal-invite/")
    assert form.status_code == 200 and "thandi@example.net" in form.content.decode()
    bad = client.post(
        f"/staff/customers/{customer.pk}/portal-invite/",
        {"email": "thandi@example.net", "role": "billing"},
    )
    assert bad.status_code == 200 and "already has a portal login" in bad.content.decode()
    answer = client.post(
        f"/staff/customers/{customer.pk}/portal-invite/",
        {"email": "Accounts@Example.net", "role": "billing", "name": "Sipho"},
    )
    assert answer.status_code == 302
    invited = PortalUser.objects.get(email="Accounts@Example.net")
    assert invited.role == PortalRole.BILLING and not invited.has_password
    assert AuditLog.objects.filter(action="portal.invite", actor=staff).exists()
    [message] = _mail_to(smtp_server, "Accounts@Example.net")
    assert message["To"] == "Accounts@Example.net"
    assert "customer portal login" in message["Subject"]
    link = _link(message)
    path = link.split("testserver", 1)[1]
    assert path.startswith(f"{_base(tenant)}/welcome/")

    browser = Client()
    # Not signed in before the password is chosen.
    assert _sign_in(browser, tenant, login="accounts@example.net", password="").status_code == 400
    assert browser.get(path).status_code == 200
    short = browser.post(path, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "too short" in short.content.decode()
    differ = browser.post(path, {"password": "Good-pass-2026", "confirm": "Good-pass-2027"})
    assert differ.status_code == 400 and "differ" in differ.content.decode()
    done = browser.post(path, {"password": "Good-pass-2026", "confirm": "Good-pass-2026"})
    assert done.status_code == 302 and done["Location"] == f"{_base(tenant)}/"
    assert "Thandi Mokoena" in browser.get(f"{_base(tenant)}/").content.decode()
    # The link works once.
    again = Client().get(path)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert _sign_in(Client(), tenant, "accounts@example.net", "Good-pass-2026").status_code == 302


def test_roles_without_the_portal_permission_see_no_invitation(client, tenant, world, make_staff):
    customer = world["ours"][0]
    client.force_login(make_staff(tenant, "noc"))
    assert "portal-invite" not in client.get(f"/staff/customers/{customer.pk}/").content.decode()
    assert client.get(f"/staff/customers/{customer.pk}/portal-invite/").status_code == 403
    other = world["foreign"][0]
    client.force_login(make_staff(tenant, "admin"))
    assert client.get(f"/staff/customers/{other.pk}/portal-invite/").status_code == 404


def test_a_password_reset_link_works_once_and_expires(client, tenant, world, smtp_server, settings):
    forgot = f"{_base(tenant)}/password/forgot/"
    unknown = client.post(forgot, {"email": "nobody@example.net"})
    assert unknown.status_code == 200 and "If this address has a portal login" in (
        unknown.content.decode()
    )
    assert smtp_server.messages == []
    known = client.post(forgot, {"email": "thandi@example.net"})
    assert known.content == unknown.content  # the same answer either way
    [message] = _mail_to(smtp_server, "thandi@example.net")
    assert "Reset your" in message["Subject"]
    path = _link(message).split("testserver", 1)[1]
    assert path.startswith(f"{_base(tenant)}/password/reset/")

    expired = clock.now() + dt.timedelta(minutes=settings.PORTAL_RESET_MINUTES + 1)
    with clock.simulated(expired):
        late = Client().post(path, {"password": "New-pass-2026", "confirm": "New-pass-2026"})
        assert late.status_code == 400 and "expired" in late.content.decode()
    done = Client().post(path, {"password": "New-pass-2026", "confirm": "New-pass-2026"})
    assert done.status_code == 302
    assert _sign_in(Client(), tenant).status_code == 400  # the old password is gone
    assert _sign_in(Client(), tenant, password="New-pass-2026").status_code == 302
    reuse = Client().post(path, {"password": "Other-pass-2026", "confirm": "Other-pass-2026"})
    assert reuse.status_code == 400
    assert AuditLog.objects.filter(action="portal.password_reset").count() == 1


def test_a_tampered_or_foreign_token_is_refused(client, tenant, world):
    base = _base(tenant)
    for token in ("garbage", "1-2-3", "zz-zz-" + "0" * 40, "-".join(["1"] * 4)):
        assert client.get(f"{base}/password/reset/{token}/").status_code == 400
        assert client.get(f"{base}/welcome/{token}/").status_code == 400
    from ispstack.portal.tokens import make_token

    token = make_token(world["user"], "reset")
    # A reset token is no invitation, and no other tenant's.
    assert client.get(f"{base}/welcome/{token}/").status_code == 400
    assert client.get(f"/my/othernet/password/reset/{token}/").status_code == 400
    assert client.get(f"{base}/password/reset/{token}/").status_code == 200


# In a browser: a phone and a desktop, axe-core on every page.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "viewport",
    [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
    ids=["phone", "desktop"],
)
def test_in_a_browser_sign_in_see_the_dashboard_and_open_an_invoice_pdf(
    live_server, chromium, tenant, world, viewport
):
    from tests.console_browser import serious_violations

    base = f"{live_server.url}{_base(tenant)}"
    context = chromium.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/")
        assert serious_violations(page) == []  # the sign-in page
        sign_in(page, base, "thandi@example.net", PASSWORD)
        main = page.inner_text("main")
        assert "Thandi Mokoena" in main and "Online" in main and "85 %" in main
        # Nothing wider than the screen on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert serious_violations(page) == []
        sub = world["ours"][1][0]
        for path in (f"/services/{sub.pk}/", "/invoices/", "/payments/"):
            page.goto(f"{base}{path}")
            assert serious_violations(page) == [], path
        page.goto(f"{base}/invoices/")
        invoice = Invoice.objects.filter(customer=world["ours"][0]).order_by("-issue_date").first()
        with page.expect_download() as download:
            page.click(f"a[href$='/invoices/{invoice.pk}/pdf/']")
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(4) == b"%PDF"
        assert download.value.suggested_filename == f"{invoice.number}.pdf"
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_in_a_browser_on_a_phone_reset_the_password_from_the_mail_and_sign_in(
    live_server, chromium, tenant, make_customer, smtp_server
):
    """Forgot password on the sign-in page, the link from the mail the real
    SMTP server caught, a new password, then a sign-in with it; axe-core on
    every page of the reset."""
    from tests.console_browser import serious_violations

    customer = make_customer(tenant, name="Thandi Mokoena")
    create_login(customer=customer, email="thandi@example.net", password=PASSWORD)
    base = f"{live_server.url}{_base(tenant)}"
    viewport = {"width": 390, "height": 844}
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{base}/login/")
        page.click("text=Forgot your password?")
        page.wait_for_url(f"{base}/password/forgot/")
        assert serious_violations(page) == []
        page.fill("#id_email", "thandi@example.net")
        page.click("button[type=submit]")
        page.wait_for_selector("[role=status]")
        assert "we have emailed it a link" in page.inner_text("main")
        assert serious_violations(page) == []

        # The job ran after the request's commit, in the server: the mail is caught.
        [message] = [m for m in smtp_server.messages if m["To"] == "thandi@example.net"]
        link = _link(message)
        assert link.startswith(f"{base}/password/reset/")
        page.goto(link)
        assert page.inner_text("h1") == "Choose a new password"
        assert serious_violations(page) == []
        # A mismatch is named on the page, which stays accessible.
        page.fill("#id_password", "New-pass-2026")
        page.fill("#id_confirm", "Other-pass-2026")
        page.click("button[type=submit]")
        page.wait_for_selector("#password-error")
        assert serious_violations(page) == []
        page.fill("#id_password", "New-pass-2026")
        page.fill("#id_confirm", "New-pass-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        page.click("button:has-text('Sign out')")
        page.wait_for_url(f"{base}/login/")
        sign_in(page, base, "thandi@example.net", "New-pass-2026")
        assert "Thandi Mokoena" in page.inner_text("main")
        # The link was spent by the new password.
        page.goto(link)
        assert "invalid, has expired or has already been used" in page.inner_text("main")
    finally:
        context.close()
