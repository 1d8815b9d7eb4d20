"""The customer portal in the customer's language: English (the source) and
German. The signed-in user's choice wins, then the tenant's branding locale,
then the browser's Accept-Language, then English; the staff console stays
English. The German catalogue is complete (nothing untranslated or fuzzy,
every string the portal marks is in it) and the committed .mo is what
compiling the .po gives."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from django.core.management import call_command
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import display
from ispstack.payments.services import record_payment
from ispstack.portal import language
from ispstack.portal.models import PortalBranding, PortalUser
from ispstack.portal.services import create_login

D = dt.date
PASSWORD = "Portal-pass-2026"
PORTAL_DIR = Path(language.__file__).resolve().parent
PO = PORTAL_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# A named printf placeholder: %(name)s, %(month)02d, %(ratio).2f.
PLACEHOLDER = r"%\(\w+\)[^a-zA-Z%]*[sdf]"


def _brand(tenant, locale: str) -> None:
    row = PortalBranding.objects.get(tenant=tenant)
    row.locale = locale
    row.full_clean()
    row.save()


@pytest.fixture
def account(tenant, make_customer, make_subscription):
    """A customer with a service, two months of invoices, a payment of
    1,234.50 and a portal login; the tenant writes amounts as en_ZA."""
    _brand(tenant, "en_ZA")
    customer = make_customer(tenant, name="Anna Schmidt")
    make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    for month in (1, 2):
        run_billing(tenant=tenant, as_of=D(2026, month, 1))
    record_payment(tenant=tenant, customer=customer, amount="1234.50", received_on=D(2026, 2, 3))
    user = create_login(customer=customer, email="anna@example.net", password=PASSWORD)
    return customer, user


def _sign_in(client: Client, tenant, **extra) -> None:
    answer = client.post(
        f"/my/{tenant.slug}/login/", {"login": "anna@example.net", "password": PASSWORD}, **extra
    )
    assert answer.status_code == 302, answer.content[:500]


@pytest.mark.django_db
def test_a_user_who_chose_german_reads_the_portal_in_german(client, tenant, account):
    customer, user = account
    user.language = "de"
    user.save(update_fields=["language"])
    _sign_in(client, tenant)

    dashboard = client.get(f"/my/{tenant.slug}/").content.decode()
    assert '<html lang="de">' in dashboard
    for german in ("Hallo, Anna Schmidt", "Kontoübersicht", "Kontostand", "Rechnungen"):
        assert german in dashboard
    for english in ("Account summary", "Latest invoices", "Sign out", ">Invoices<"):
        assert english not in dashboard

    invoices = client.get(f"/my/{tenant.slug}/invoices/").content.decode()
    for german in ("Ihre Rechnungen, neueste zuerst", "Gutschriften", "Bezahlt", "Herunterladen"):
        assert german in invoices
    for english in ("Your invoices, newest first", "Credit notes", "Download", "Paid"):
        assert english not in invoices
    first = Invoice.objects.filter(customer=customer).order_by("issue_date").first()
    assert display.locale_date(first.issue_date, "en_ZA") in invoices
    assert first.issue_date.strftime("%d.%m.%Y") not in invoices  # not German dates
    # Amounts keep the tenant's branding locale (en_ZA), not German's.
    assert format_currency(first.total, first.currency, locale="en_ZA") in invoices
    payments = client.get(f"/my/{tenant.slug}/payments/").content.decode()
    assert "Ihre Zahlungen, neueste zuerst" in payments
    assert format_currency(Decimal("1234.50"), customer.currency, locale="en_ZA") in payments
    assert "1.234,50" not in payments

    # Signed out, the login page follows the tenant's en_ZA, the browser's de aside.
    client.post(f"/my/{tenant.slug}/logout/")
    login = client.get(f"/my/{tenant.slug}/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Sign in" in login and "Anmelden" not in login


@pytest.mark.django_db
def test_the_browsers_language_sets_the_login_page_without_a_choice(client, tenant):
    german = client.get(
        f"/my/{tenant.slug}/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5"
    ).content.decode()
    assert '<html lang="de">' in german
    assert "Anmelden" in german
    assert "E-Mail-Adresse oder Kundennummer" in german
    assert "Email address or account number" not in german
    assert "Passwort vergessen?" in german

    for header in ("fr-FR,fr;q=0.9", "", "en-GB,de;q=0.8"):
        english = client.get(
            f"/my/{tenant.slug}/login/", HTTP_ACCEPT_LANGUAGE=header
        ).content.decode()
        assert '<html lang="en">' in english
        assert "Email address or account number" in english
        assert "Anmelden" not in english


@pytest.mark.django_db
def test_the_branding_locale_outranks_the_browser_and_the_users_choice_outranks_it(
    client, tenant, make_customer
):
    _brand(tenant, "de_DE")
    login = client.get(f"/my/{tenant.slug}/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "E-Mail-Adresse oder Kundennummer" in login
    customer = make_customer(tenant, name="Ben Jones")
    user = create_login(customer=customer, email="anna@example.net", password=PASSWORD)
    user.language = "en"
    user.save(update_fields=["language"])
    _sign_in(client, tenant)
    page = client.get(f"/my/{tenant.slug}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en">' in page
    assert "Account summary" in page and "Kontoübersicht" not in page


@pytest.mark.django_db
def test_the_profile_page_saves_the_language_picked(client, tenant, account):
    _customer, user = account
    _sign_in(client, tenant)
    profile = client.get(f"/my/{tenant.slug}/profile/").content.decode()
    assert '<label for="id_language">Show this portal in</label>' in profile
    assert '<option value="de" lang="de">Deutsch</option>' in profile

    answer = client.post(f"/my/{tenant.slug}/profile/language/", {"language": "de"})
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.language == "de"
    page = client.get(answer["Location"]).content.decode()
    assert "Ihre Sprache wurde gespeichert." in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page

    wrong = client.post(f"/my/{tenant.slug}/profile/language/", {"language": "xx"})
    assert wrong.status_code == 400
    assert "Bitte wählen Sie eine der aufgeführten Sprachen." in wrong.content.decode()
    assert 'id="language-error"' in wrong.content.decode()
    user.refresh_from_db()
    assert user.language == "de"

    # Back to automatic: the tenant's en_ZA means English.
    client.post(f"/my/{tenant.slug}/profile/language/", {"language": ""})
    assert PortalUser.objects.get(pk=user.pk).language == ""
    assert "Account summary" in client.get(f"/my/{tenant.slug}/").content.decode()


@pytest.mark.django_db
def test_the_staff_console_stays_english_for_a_german_browser(client, tenant, make_staff):
    client.force_login(make_staff(tenant, "admin"))
    page = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Skip to content" in body and "Log out" in body
    assert "Zum Inhalt springen" not in body and "Abmelden" not in body


def test_accept_language_best_match():
    assert language.best_match("de-AT,en;q=0.5") == "de"
    assert language.best_match("fr;q=1, de;q=0.3, en;q=0.7") == "en"
    assert language.best_match("de;q=0, en;q=0.1") == "en"
    assert language.best_match("*") is None
    assert language.best_match("xx;q=abc, de") == "de"


# The message catalogue.


def _messages(catalog) -> dict[tuple[str | None, str], object]:
    return {
        (message.context, _key(message.id)): message.string for message in catalog if message.id
    }


def _key(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def test_the_german_catalogue_has_no_untranslated_or_fuzzy_entry():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    assert not catalog.fuzzy
    assert len(catalog) > 300
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        # Every placeholder of the English is in the German.
        source = message.id if isinstance(message.id, str) else message.id[-1]
        placeholders = sorted(re.findall(PLACEHOLDER, source))
        for string in strings:
            assert sorted(re.findall(PLACEHOLDER, string)) == (placeholders), message.id


def test_every_string_the_portal_marks_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    """makemessages run again on a copy of the portal finds no msgid that the
    committed catalogue lacks, and none that it holds in vain."""
    settings.LOCALE_PATHS = []  # the copy's catalogue only, never the committed one
    copy = tmp_path / "portal"
    shutil.copytree(PORTAL_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["de"], verbosity=0)
    with PO.open("rb") as handle:
        committed = set(_messages(read_po(handle)))
    with (copy / "locale" / "de" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        extracted = set(_messages(read_po(handle)))
    assert extracted - committed == set()
    assert committed - extracted == set()


def test_the_committed_mo_is_the_compiled_po(tmp_path, monkeypatch, settings):
    """The runtime reads the .mo: this test recompiles the committed .po with
    compilemessages and compares its messages with the committed .mo's."""
    settings.LOCALE_PATHS = []  # compile the copy only, never the committed files
    copy = tmp_path / "locale"
    shutil.copytree(PO.parent.parent.parent, copy)
    (copy / "de" / "LC_MESSAGES" / "django.mo").unlink()
    monkeypatch.chdir(tmp_path)
    call_command("compilemessages", locale=["de"], verbosity=0)
    with (copy / "de" / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = _messages(read_mo(handle))
    with MO.open("rb") as handle:
        committed = _messages(read_mo(handle))
    with PO.open("rb") as handle:
        source = _messages(read_po(handle))
    assert committed == compiled
    assert committed == source
