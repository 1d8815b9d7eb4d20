"""Mails and texts of the apps below the portal (invoices, transfer receipts,
payment reminders, data-cap alerts, ticket acknowledgements) are written in
the customer's language: the one its portal owner chose, else the tenant's
(its branding locale), else English, through the resolver the portal
registers with ``notifications.language``. The language of one mail never
leaks into the next one of the same job. The German catalogues of those
apps hold every customer-facing message, translated, and their .mo files
are the compiled .po files."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import translation

import ispstack
from ispstack.billing.documents import document_pdf
from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.services import run_collections
from ispstack.core import clock, outbox
from ispstack.network.models import Device, Sector, Site
from ispstack.notifications.language import in_language_of
from ispstack.payments.transfers import approve_transfer, submit_transfer
from ispstack.portal.models import PortalBranding
from ispstack.portal.services import create_login
from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import Subscription
from ispstack.tickets.mail import inbound
from ispstack.tickets.mail.mailboxes import create_mailbox
from ispstack.tickets.models import OutageCause
from ispstack.tickets.outages import services as outages
from ispstack.usage.caps import check_caps
from ispstack.usage.services import rollup

D = dt.date
GB = 10**9
PASSWORD = "Portal-pass-2026"
SRC = Path(ispstack.__file__).resolve().parent
# The customer-facing sources of each app whose messages the German
# catalogue must hold (the staff-facing labels of admin and settings, and
# the SLA alerts to team leads, stay English like the staff console).
MAIL_SOURCES = {
    "billing": (
        "jobs.py",
        "documents.py",
        "templates/billing/email/",
        "templates/billing/invoice.html",
        "templates/billing/document_base.html",
    ),
    "payments": ("transfers.py", "statement_mail.py", "templates/payments/email/"),
    "collections": ("dunning_steps.py", "jobs.py", "templates/collections/email/"),
    "usage": ("caps.py", "templates/usage/email/", "templates/usage/sms/"),
    "tickets": (
        "outages/jobs.py",
        "mail/outbound.py",
        "templates/tickets/email/acknowledgement.txt",
        "templates/tickets/email/outage_",
        "templates/tickets/sms/",
    ),
    "provisioning": ("jobs.py", "templates/provisioning/email/"),
    "sales": (
        "jobs.py",
        "documents.py",
        "contracts/documents.py",
        "templates/sales/email/",
        "templates/sales/quote.html",
        "templates/sales/contract.html",
        "templates/sales/public_quote.html",
        "views.py",
        "models/contracts.py",
    ),
}
PLACEHOLDER = r"%\(\w+\)[^a-zA-Z%]*[sdf]|\{\w+\}"


def _speaks(customer, language: str) -> None:
    """Give ``customer`` a portal owner login that chose ``language``."""
    user = create_login(
        customer=customer, email=f"portal-{customer.pk}@example.net", password=PASSWORD
    )
    user.language = language
    user.save(update_fields=["language"])


def _mails_to(address: str) -> list:
    outbox.drain()
    return [m for m in mail.outbox if address in m.to]


def _german_amount(amount: Decimal) -> str:
    """``amount`` with two decimals and a decimal comma (35,70)."""
    return f"{amount:.2f}".replace(".", ",")


@pytest.fixture
def two_customers(tenant, make_customer, make_subscription):
    """A customer whose owner chose German (billed first) and one who chose
    English, each with a service from 1 January 2026."""
    german = make_customer(tenant, name="Anna Schmidt", email="anna@example.net")
    english = make_customer(tenant, name="Thandi Mokoena", email="thandi@example.net")
    _speaks(german, "de")
    _speaks(english, "en")
    for customer in (german, english):
        make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    return german, english


@pytest.mark.django_db
def test_one_invoice_job_writes_german_then_english_without_leaking(tenant, two_customers):
    german, english = two_customers
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert german.pk < english.pk  # the job sends the German invoice first
    with translation.override("en"):
        outbox.drain()
        assert translation.get_language() == "en"

    invoice = Invoice.objects.get(customer=german)
    [de] = [m for m in mail.outbox if m.to == [german.email]]
    assert de.subject == f"Rechnung {invoice.number} von {tenant.name}"
    assert de.body.startswith("Guten Tag Anna Schmidt,")
    assert (
        f"anbei erhalten Sie Ihre Rechnung {invoice.number} vom "
        f"{invoice.issue_date:%d.%m.%Y} über {_german_amount(invoice.total)} "
        f"{invoice.currency}, fällig am {invoice.due_date:%d.%m.%Y}."
    ) in de.body
    assert f"Ihre Kundennummer: {german.account_number}." in de.body
    assert "please find attached" not in de.body
    # The PDF is the tenant's document, attached whatever the mail's language.
    assert [name for name, _content, _type in de.attachments] == [f"{invoice.number}.pdf"]

    other = Invoice.objects.get(customer=english)
    [en] = [m for m in mail.outbox if m.to == [english.email]]
    assert en.subject == f"Invoice {other.number} from {tenant.name}"
    assert en.body.startswith("Dear Thandi Mokoena,")
    assert f"of {other.issue_date:%Y-%m-%d} for {other.total:.2f} {other.currency}" in en.body
    assert "Rechnung" not in en.body


@pytest.mark.django_db
def test_a_transfer_receipt_is_german_for_a_german_customer(tenant, two_customers):
    german, english = two_customers
    for customer in (german, english):
        transfer = submit_transfer(
            customer=customer,
            amount="35.70",
            transferred_on=D(2026, 1, 5),
            proof=ContentFile(b"%PDF-1.4 proof", name="receipt.pdf"),
        )
        approve_transfer(transfer=transfer)
    [de] = _mails_to(german.email)
    currency = german.currency
    assert de.subject == f"Ihre Überweisung über 35,70 {currency} ist eingegangen"
    assert (
        f"Ihre Überweisung über 35,70 {currency} vom 05.01.2026 ist eingegangen und wurde "
        "Ihrem Kundenkonto gutgeschrieben."
    ) in de.body
    [en] = _mails_to(english.email)
    assert en.subject == f"Your transfer of 35.70 {currency} was received"
    assert f"your transfer of 35.70 {currency} of 2026-01-05 has been received" in en.body


@pytest.mark.django_db
def test_a_payment_reminder_is_german_and_names_the_suspension_day_in_german(
    tenant, two_customers, django_capture_on_commit_callbacks
):
    german, english = two_customers
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    outbox.drain()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run_collections(tenant=tenant, as_of=D(2026, 1, 21))
    invoice = Invoice.objects.get(customer=german)
    [de] = _mails_to(german.email)
    assert de.subject == f"Zahlungserinnerung: Rechnung {invoice.number}"
    assert (
        f"{_german_amount(invoice.amount_due)} {invoice.currency} sind noch offen "
        "(6 Tage überfällig)."
    ) in de.body
    # The default campaign suspends 5 days after the reminder.
    assert "Geht die Zahlung nicht ein, wird Ihr Anschluss am 26.01.2026 gesperrt." in de.body
    other = Invoice.objects.get(customer=english)
    [en] = _mails_to(english.email)
    assert en.subject == f"Payment reminder: invoice {other.number}"
    assert "Unless it is paid, service is suspended on 2026-01-26." in en.body


@pytest.mark.django_db
def test_a_dunning_email_and_sms_use_the_defaults_in_the_customers_language(
    tenant, two_customers, smsc, django_capture_on_commit_callbacks
):
    """The step queues no words: the job renders the default subject, body
    and text in each customer's language when it sends (the SMS through the
    real SMPP peer)."""
    from ispstack.collections.dunning import create_campaign
    from ispstack.core.models import Job

    german, english = two_customers
    for customer, phone in ((german, "+49301234567"), (english, "+27821234567")):
        customer.phone = phone
        customer.save(update_fields=["phone"])
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    outbox.drain()
    mail.outbox.clear()
    create_campaign(tenant=tenant, name="Words", steps=[{"action": "email"}, {"action": "sms"}])
    with django_capture_on_commit_callbacks(execute=False):
        run_collections(tenant=tenant, as_of=D(2026, 1, 16))
    texts = {
        job.payload["customer_id"]: job.payload["template"]
        for job in Job.objects.filter(kind="collections.dunning_sms")
    }
    assert texts == {german.pk: "", english.pk: ""}
    due = Invoice.objects.get(customer=german).amount_due
    [de] = _mails_to(german.email)
    assert de.subject == f"Zahlungserinnerung zu Ihrem Kundenkonto {german.account_number}"
    assert de.body.startswith(
        f"Anna Schmidt, auf Ihrem Kundenkonto {german.account_number} ist ein Betrag von "
        f"{_german_amount(due)} {german.currency} überfällig."
    )
    [en] = _mails_to(english.email)
    assert en.subject == f"Your account {english.account_number} is overdue"
    received = {m["to"]: m["text"] for m in map(json.loads, smsc.read_text().splitlines())}
    assert received == {
        "49301234567": f"Anna Schmidt: Auf Kundenkonto {german.account_number} sind "
        f"{_german_amount(due)} {german.currency} überfällig.",
        "27821234567": f"Thandi Mokoena: {due:.2f} {english.currency} is overdue on account "
        f"{english.account_number}.",
    }


@pytest.mark.django_db
def test_a_data_cap_alert_is_german_with_a_decimal_comma(
    tenant, make_customer, make_plan, make_subscription
):
    plan = make_plan(tenant, data_cap_bytes=10 * GB, throttle_download_kbps=1000)
    customer = make_customer(tenant, name="Anna Schmidt")
    _speaks(customer, "de")
    sub = make_subscription(tenant, customer=customer, plan=plan, start_date=D(2026, 1, 1))
    at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    RadAcct.objects.create(
        acctuniqueid="de-1",
        acctsessionid="de-1",
        username=sub.username,
        nasipaddress="127.0.0.1",
        acctstarttime=at,
        acctupdatetime=at,
        acctinputoctets=0,
        acctoutputoctets=8_500_000_000,
    )
    rollup()
    check_caps(tenant=tenant, today=D(2026, 1, 5))
    [alert] = _mails_to(customer.email)
    assert alert.subject == f"{sub.username}: 80 % Ihres Datenvolumens verbraucht"
    assert "8,5 GB von 10,0 GB verbraucht: Sie haben 80 % Ihres Datenvolumens" in alert.body


@pytest.mark.django_db
def test_a_ticket_acknowledgement_is_german_for_a_german_customer(
    tenant, two_customers, make_customer
):
    german, english = two_customers
    stranger_address = "someone@example.org"
    mailbox = create_mailbox(
        tenant=tenant,
        name="Support",
        host="imap.example.net",
        port=993,
        security="ssl",
        username="support",
        password="secret",
        folder="INBOX",
        support_address="support@isp.test",
    )
    for sender in (german.email, english.email, stranger_address):
        raw = (
            f"From: <{sender}>\r\nTo: support@isp.test\r\nSubject: Kein Internet\r\n"
            f"Message-ID: <{sender}.1@example.test>\r\n\r\nDie Lampe ist rot.\r\n"
        ).encode()
        inbound.import_mail(mailbox=mailbox, raw=raw)
    [de] = _mails_to(german.email)
    # The subject is the customer's own, with the ticket number.
    assert re.fullmatch(r"\[.+\] Kein Internet", de.subject)
    number = de.subject[1 : de.subject.index("]")]
    assert (
        f"Wir haben Ihre Nachricht erhalten und das Ticket {number} eröffnet: „Kein Internet“."
    ) in de.body
    assert "Dies ist eine automatische Antwort." in de.body
    [en] = _mails_to(english.email)
    assert "We have received your message and opened ticket" in en.body
    # A sender who is no customer reads the language of the job: English.
    [stranger] = _mails_to(stranger_address)
    assert "This is an automatic reply." in stranger.body


@pytest.mark.django_db
def test_one_outage_batch_emails_and_texts_german_then_english(
    tenant, two_customers, smsc, django_capture_on_commit_callbacks
):
    german, english = two_customers
    tower = Site.objects.create(
        tenant=tenant, kind="tower", name="Hill", slug="hill", latitude=52, longitude=13
    )
    ap = Device.objects.create(tenant=tenant, role="ap", name="ap-1", serial="AP1", site=tower)
    sector = Sector.objects.create(
        tenant=tenant, site=tower, name="North", azimuth=0, access_point=ap
    )
    Subscription.objects.filter(customer__in=two_customers).update(sector=sector)
    for customer in two_customers:
        customer.phone = "+27821234567"
        customer.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks(execute=True):
        outage = outages.declare_outage(
            tenant=tenant,
            sector=sector,
            cause="fibre_cut",
            expected_end_at=clock.now() + dt.timedelta(hours=3),
        )
    [de] = [m for m in mail.outbox if m.to == [german.email]]
    assert de.subject == f"Störung in Ihrer Region ({outage.number})"
    assert "(Glasfaserschaden). Unsere Techniker arbeiten an der Behebung" in de.body
    assert "Betroffene Anschlüsse:" in de.body
    [en] = [m for m in mail.outbox if m.to == [english.email]]
    assert en.subject == f"Service interruption in your area ({outage.number})"
    assert "(Fibre cut). Our engineers are working on it" in en.body
    texts = [json.loads(line)["text"] for line in smsc.read_text().splitlines()]
    assert len(texts) == 2
    assert f"Störung in Ihrer Region ({outage.number}); wir arbeiten daran." in texts[0]
    assert f"service interrupted in your area ({outage.number}); we are on it." in texts[1]


@pytest.mark.django_db
def test_a_customer_without_a_portal_login_reads_the_tenants_branding_language(
    tenant, make_customer, make_subscription
):
    PortalBranding.objects.filter(tenant=tenant).update(locale="de_DE")
    customer = make_customer(tenant, name="Jonas Weber")
    make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=customer)
    [de] = _mails_to(customer.email)
    assert de.subject == f"Rechnung {invoice.number} von {tenant.name}"
    assert de.body.startswith("Guten Tag Jonas Weber,")


@pytest.mark.django_db
def test_the_invoice_pdf_is_in_the_tenants_language_whoever_reads_it(
    tenant, two_customers, tmp_path
):
    """An invoice is a legal document of the tenant: a German ISP's PDF is
    German with German numbers, for the customer who chose English too."""
    PortalBranding.objects.filter(tenant=tenant).update(locale="de_DE")
    _german, english = two_customers
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=english)
    path = tmp_path / "invoice.pdf"
    with translation.override("en"):
        path.write_bytes(document_pdf(invoice))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Rechnung" in text and "Zwischensumme" in text and "Seite 1 von 1" in text
    assert f"{_german_amount(invoice.total)} {invoice.currency}" in text
    assert "Subtotal" not in text
    # An English tenant's stays English.
    PortalBranding.objects.filter(tenant=tenant).update(locale="en_GB")
    Invoice.objects.filter(pk=invoice.pk).update(pdf="")
    path.write_bytes(document_pdf(Invoice.objects.get(pk=invoice.pk)))
    english_text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Subtotal" in english_text and "page 1 of 1" in english_text


@pytest.mark.django_db
def test_a_quote_is_mailed_in_german_to_a_german_customer(tenant, two_customers, make_plan):
    from ispstack.sales import services as quotes

    german, _english = two_customers
    quote = quotes.create_quote(tenant=tenant, customer=german.pk)
    quotes.add_line(quote=quote, kind="plan", plan=make_plan(tenant).pk)
    quotes.send_quote(quote=quote, base_url="http://127.0.0.1:8000")
    [de] = _mails_to(german.email)
    assert de.subject == f"Angebot {quote.number} von {tenant.name}"
    assert de.body.startswith("Guten Tag Anna Schmidt,")
    assert f"anbei erhalten Sie unser Angebot {quote.number} (Version 1)." in de.body
    assert "please find attached" not in de.body


@pytest.mark.django_db
def test_the_quote_pdf_is_in_the_tenants_language(tenant, make_customer, make_plan, tmp_path):
    from ispstack.sales import services as quotes
    from ispstack.sales.documents import quote_pdf
    from ispstack.sales.models import Quote

    PortalBranding.objects.filter(tenant=tenant).update(locale="de_DE")
    quote = quotes.create_quote(tenant=tenant, customer=make_customer(tenant).pk)
    quotes.add_line(quote=quote, kind="plan", plan=make_plan(tenant, monthly_price="30.00").pk)
    path = tmp_path / "quote.pdf"
    path.write_bytes(quote_pdf(Quote.objects.get(pk=quote.pk)))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Angebot" in text and "Betrag der ersten Rechnung" in text and "Gültig bis:" in text
    assert "35,70 EUR" in text and "Total of the first invoice" not in text


@pytest.mark.django_db
def test_the_contract_pdf_is_in_the_tenants_language(tenant, make_subscription, tmp_path):
    from ispstack.sales.contracts import services as contracts
    from ispstack.sales.contracts.documents import contract_pdf

    PortalBranding.objects.filter(tenant=tenant).update(locale="de_DE")
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    contract = contracts.create_contract(
        tenant=tenant,
        customer=sub.customer,
        subscriptions=[sub.pk],
        term_months=24,
        start_date=D(2026, 1, 1),
        monthly_commitment="49.95",
        termination_fee_rule="fixed",
        termination_fee_amount="300.00",
        plan_change_rule="upgrade_only",
    )
    path = tmp_path / "contract.pdf"
    path.write_bytes(contract_pdf(contract))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Vertrag" in text and "24 Monate, 2026-01-01 bis 2027-12-31" in text
    assert "49,95 EUR netto" in text and "Eine Gebühr von 300,00 EUR" in text
    assert "Minimum monthly commitment" not in text
    assert "Nur Wechsel in einen höheren Tarif" in text and "Upgrades only" not in text


@pytest.mark.django_db
def test_without_an_answer_the_language_active_before_stays(tenant, make_customer):
    with translation.override("de"):
        with in_language_of(None) as code:
            assert code == "de"
        with in_language_of(2**40) as code:  # no such customer
            assert code == "de"
        customer = make_customer(tenant)  # no login, a tenant without a locale: English
        with in_language_of(customer.pk) as code:
            assert code == "en"
            assert translation.gettext("Payment reminder: invoice %(number)s") == (
                "Payment reminder: invoice %(number)s"
            )
        assert translation.get_language() == "de"


# The message catalogues.


def _po(app: str, root: Path = SRC) -> Path:
    return root / app / "locale" / "de" / "LC_MESSAGES" / "django.po"


def _messages(catalog) -> dict[tuple[str | None, str], object]:
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0]): (
            message.string
        )
        for message in catalog
        if message.id
    }


@pytest.mark.parametrize("app", sorted(MAIL_SOURCES))
def test_each_catalogue_is_complete_and_keeps_the_placeholders(app):
    with _po(app).open("rb") as handle:
        catalog = read_po(handle)
    assert not catalog.fuzzy
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        assert message.string, f"untranslated: {message.id!r}"
        assert sorted(re.findall(PLACEHOLDER, message.id)) == sorted(
            re.findall(PLACEHOLDER, message.string)
        ), message.id


@pytest.mark.parametrize("app", sorted(MAIL_SOURCES))
def test_every_customer_facing_message_is_in_the_catalogue(app, tmp_path, monkeypatch, settings):
    """makemessages run again on a copy of the app finds every message of
    its mail sources in the committed catalogue, which holds none that the
    app no longer marks."""
    settings.LOCALE_PATHS = []  # the copy's catalogue only, never the committed one
    copy = tmp_path / app
    shutil.copytree(SRC / app, copy, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.rmtree(copy / "locale")
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["de"], verbosity=0)
    with _po(app).open("rb") as handle:
        committed = set(_messages(read_po(handle)))
    with _po(app, tmp_path).open("rb") as handle:
        extracted = read_po(handle)
    wanted = {
        (message.context, message.id)
        for message in extracted
        if message.id
        and any(path.startswith(MAIL_SOURCES[app]) for path, _line in message.locations)
    }
    assert wanted - committed == set()
    assert committed - set(_messages(extracted)) == set()


@pytest.mark.parametrize("app", sorted(MAIL_SOURCES))
def test_the_committed_mo_is_the_compiled_po(app, tmp_path, monkeypatch, settings):
    settings.LOCALE_PATHS = []  # compile the copy only, never the committed files
    copy = tmp_path / "locale"
    shutil.copytree(_po(app).parent.parent.parent, copy)
    (copy / "de" / "LC_MESSAGES" / "django.mo").unlink()
    monkeypatch.chdir(tmp_path)
    call_command("compilemessages", locale=["de"], verbosity=0)
    with (copy / "de" / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = _messages(read_mo(handle))
    with _po(app).with_suffix(".mo").open("rb") as handle:
        committed = _messages(read_mo(handle))
    assert committed == compiled


def test_the_outage_causes_customers_read_are_german():
    with translation.override("de"):
        german = {cause.value: str(cause.label) for cause in OutageCause}
    with translation.override("en"):
        english = {cause.value: str(cause.label) for cause in OutageCause}
    assert german["fibre_cut"] == "Glasfaserschaden"
    assert all(german[key] != english[key] for key in german)
