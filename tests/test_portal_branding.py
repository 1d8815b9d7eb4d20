"""White label of the customer portal: each tenant's name, logo, colours and
contact details on the sign-in page and every portal page; colours that
fail WCAG AA contrast with white text and unsafe or oversized logos refused
with an error on their field; a tenant's own host name opens its portal
(and never another tenant's); amounts and dates in the tenant's locale as
Babel writes them; a tenant's admin edits only its own branding."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ispstack.payments.services import record_payment
from ispstack.portal import branding
from ispstack.portal.models import PortalBranding, PortalHost
from ispstack.portal.services import create_login

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pass-2026"
D = dt.date


def _png(width: int = 40, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (11, 92, 173)).save(out, format="PNG")
    return out.getvalue()


GOOD_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#03a"/></linearGradient></defs>'
    b'<rect width="10" height="10" fill="url(#g)"/></svg>'
)


def _brand(tenant, **fields) -> PortalBranding:
    row = PortalBranding.objects.get(tenant=tenant)
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


def _login(tenant, make_customer, email="kim@example.net"):
    customer = make_customer(tenant, name="Kim Customer")
    create_login(customer=customer, email=email, password=PASSWORD)
    return customer


def _sign_in(client, tenant, email="kim@example.net", url=None, **extra):
    answer = client.post(
        url or f"/my/{tenant.slug}/login/", {"login": email, "password": PASSWORD}, **extra
    )
    assert answer.status_code == 302, answer.content[:500]
    return answer


def _admin_form(row: PortalBranding, **changes):
    data = {
        "display_name": row.display_name,
        "primary_color": row.primary_color,
        "accent_color": row.accent_color,
        "support_email": row.support_email,
        "support_phone": row.support_phone,
        "website": row.website,
        "footer_text": row.footer_text,
        "locale": row.locale,
    }
    data.update(changes)
    return data


def _change_url(tenant) -> str:
    return f"/admin/portal/portalbranding/{tenant.pk}/change/"


# Branding on the pages.


def test_branding_is_shown_on_the_sign_in_page_and_the_dashboard(client, tenant, make_customer):
    _login(tenant, make_customer)
    row = _brand(
        tenant,
        display_name="Example Fibre",
        primary_color="#1A4D2E",
        accent_color="#7a1f5c",
        support_email="help@example-fibre.net",
        support_phone="+49 30 1234567",
        website="https://example-fibre.net",
        footer_text="Example Fibre GmbH\nHauptstrasse 1",
        logo=SimpleUploadedFile("logo.png", _png(), content_type="image/png"),
    )
    logo_url = f"/my/{tenant.slug}/logo?v={row.version}"
    css_url = f"/my/{tenant.slug}/brand.css?v={row.version}"

    page = client.get(f"/my/{tenant.slug}/login/").content.decode()
    assert "Sign in to Example Fibre" in page
    assert f'href="{css_url}"' in page and f'src="{logo_url}"' in page
    assert 'alt="Example Fibre"' in page
    assert "help@example-fibre.net" in page and 'href="tel:+49301234567"' in page
    assert "Example Fibre GmbH<br>Hauptstrasse 1" in page
    assert tenant.name not in page

    css = client.get(css_url)
    assert css["Content-Type"].startswith("text/css")
    assert css.content.decode() == ":root { --brand: #1a4d2e; --accent: #7a1f5c; }\n"
    logo = client.get(logo_url)
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    assert b"".join(logo.streaming_content) == _png()

    _sign_in(client, tenant)
    dashboard = client.get(f"/my/{tenant.slug}/").content.decode()
    assert "Hello, Kim Customer" in dashboard
    assert "Example Fibre" in dashboard and tenant.name not in dashboard
    assert f'href="{css_url}"' in dashboard and f'src="{logo_url}"' in dashboard
    # No inline style or script: the colours come from the stylesheet above.
    assert "<style" not in dashboard and "<script" not in dashboard


def test_without_branding_the_portal_keeps_the_tenants_name_and_look(client, tenant, make_customer):
    page = client.get(f"/my/{tenant.slug}/login/").content.decode()
    assert f"Sign in to {tenant.name}" in page
    assert "brand.css" not in page and "/logo" not in page
    assert tenant.email in page
    assert client.get(f"/my/{tenant.slug}/logo").status_code == 404


def test_a_good_svg_logo_is_served_as_an_image_that_runs_nothing(client, tenant):
    _brand(tenant, logo=SimpleUploadedFile("logo.svg", GOOD_SVG, content_type="image/svg+xml"))
    logo = client.get(f"/my/{tenant.slug}/logo")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/svg+xml"
    policy = logo["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script" not in policy
    assert logo["X-Content-Type-Options"] == "nosniff"


# Colours and logos refused with an error on their field (in the admin).


@pytest.fixture
def admin_client(tenant, make_staff):
    client = Client()
    client.force_login(make_staff(tenant, "admin"))
    return client


def test_contrast_ratios_follow_wcag():
    def grey(level: int) -> str:
        return "#" + f"{level:02x}" * 3

    assert branding.contrast_with_white(grey(0)) == pytest.approx(21.0)
    assert branding.contrast_with_white("#fff") == pytest.approx(1.0)
    # The usual AA boundary of greys: 0x76 on white is 4.54:1, 0x77 is 4.48:1.
    darkest_failing = branding.contrast_with_white(grey(0x77))
    assert branding.contrast_with_white(grey(0x76)) >= 4.5 > darkest_failing


@pytest.mark.parametrize("field", ["primary_color", "accent_color"])
def test_a_colour_white_text_cannot_be_read_on_is_refused_on_its_field(admin_client, tenant, field):
    row = PortalBranding.objects.get(tenant=tenant)
    answer = admin_client.post(_change_url(tenant), _admin_form(row, **{field: "#FFCC00"}))
    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors
    assert list(errors) == [field]
    assert "contrast of 1.51:1" in errors[field][0] and "4.5:1" in errors[field][0]
    assert "#ffcc00" in answer.content.decode()
    row.refresh_from_db()
    assert getattr(row, field) == ""


def test_a_colour_that_is_no_hex_colour_is_refused(admin_client, tenant):
    row = PortalBranding.objects.get(tenant=tenant)
    answer = admin_client.post(_change_url(tenant), _admin_form(row, primary_color="red;}body{"))
    assert answer.status_code == 200
    assert "hex colour" in answer.context["adminform"].form.errors["primary_color"][0]


def test_the_tenants_admin_saves_a_readable_colour_and_a_locale(admin_client, tenant):
    row = PortalBranding.objects.get(tenant=tenant)
    answer = admin_client.post(
        _change_url(tenant), _admin_form(row, primary_color="#03A", locale="de-DE")
    )
    assert answer.status_code == 302
    row.refresh_from_db()
    assert (row.primary_color, row.locale) == ("#0033aa", "de_DE")


BAD_LOGOS = {
    "wrong type": ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "PNG, JPEG or SVG"),
    "name lies": ("logo.png", b"<html><script>alert(1)</script></html>", "not a PNG image"),
    "not an image": ("logo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "not a readable image"),
    "svg with script": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "<script> element",
    ),
    "svg with handler": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        "event handler (onload)",
    ),
    "svg with javascript link": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        b'<a x:href="javascript:alert(1)"><rect/></a></svg>',
        "javascript:",
    ),
    "svg loading elsewhere": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>',
        "only references inside the file",
    ),
    "svg with entities": (
        "logo.svg",
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        "document type or entities",
    ),
    "svg with foreign html": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
        "<foreignObject> element",
    ),
}


@pytest.mark.parametrize("case", list(BAD_LOGOS))
def test_a_bad_logo_is_refused_on_the_logo_field(admin_client, tenant, case):
    name, content, message = BAD_LOGOS[case]
    row = PortalBranding.objects.get(tenant=tenant)
    data = _admin_form(row, logo=SimpleUploadedFile(name, content))
    answer = admin_client.post(_change_url(tenant), data)
    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors
    assert list(errors) == ["logo"] and message in errors["logo"][0], errors
    row.refresh_from_db()
    assert not row.logo


def test_a_logo_over_the_size_limit_is_refused(admin_client, tenant, settings):
    settings.PORTAL_LOGO_MAX_BYTES = 1000
    row = PortalBranding.objects.get(tenant=tenant)
    big = _png(400, 400)
    assert len(big) > 1000
    answer = admin_client.post(
        _change_url(tenant), _admin_form(row, logo=SimpleUploadedFile("logo.png", big))
    )
    assert "at most 1000 bytes" in answer.context["adminform"].form.errors["logo"][0]
    good = admin_client.post(
        _change_url(tenant), _admin_form(row, logo=SimpleUploadedFile("logo.svg", GOOD_SVG))
    )
    assert good.status_code == 302
    row.refresh_from_db()
    assert row.logo.name.endswith(".svg") and "logo" not in row.logo.name.rsplit("/", 1)[-1]


# Host names.


@pytest.fixture
def two_hosts(settings, make_tenant, make_customer):
    settings.ALLOWED_HOSTS = ["testserver", "my.alpha-isp.net", "my.beta-isp.net", "other.example"]
    alpha = make_tenant(slug="alpha", name="Alpha Net")
    beta = make_tenant(slug="beta", name="Beta Net")
    _brand(alpha, display_name="Alpha Fibre")
    _brand(beta, display_name="Beta Fibre")
    PortalHost.objects.create(tenant=alpha, host="my.alpha-isp.net")
    PortalHost.objects.create(tenant=beta, host="my.beta-isp.net")
    _login(alpha, make_customer, email="ann@example.net")
    _login(beta, make_customer, email="ben@example.net")
    return alpha, beta


def test_a_tenants_host_opens_its_portal_without_the_slug(client, two_hosts):
    alpha, _beta = two_hosts
    host = {"HTTP_HOST": "my.alpha-isp.net"}
    page = client.get("/login/", **host).content.decode()
    assert "Sign in to Alpha Fibre" in page and "Beta" not in page
    typed = client.get("/login", **host)
    assert (typed.status_code, typed["Location"]) == (301, "/login/")
    # Not signed in: / leads to the sign-in page of this tenant.
    assert client.get("/", **host)["Location"].startswith("/my/alpha/login/")
    _sign_in(client, alpha, email="ann@example.net", url="/login/", **host)
    home = client.get("/", **host)
    assert home.status_code == 200
    assert "Alpha Fibre" in home.content.decode() and "Beta" not in home.content.decode()
    # The slug URLs keep working on the host and on the site's own host.
    assert client.get("/my/alpha/invoices/", **host).status_code == 200
    assert client.get("/my/alpha/login/").status_code == 200


def test_a_tenants_host_never_shows_another_tenants_portal(client, two_hosts):
    alpha, beta = two_hosts
    host = {"HTTP_HOST": "my.alpha-isp.net"}
    assert client.get("/my/beta/login/", **host).status_code == 404
    assert client.get("/my/beta/", **host).status_code == 404
    assert client.get("/my/beta/brand.css", **host).status_code == 404
    # Beta's user cannot sign in on Alpha's host.
    answer = client.post("/login/", {"login": "ben@example.net", "password": PASSWORD}, **host)
    assert answer.status_code == 400
    # Signed in at Alpha, Beta's host shows Beta's sign-in, none of Alpha's data.
    _sign_in(client, alpha, email="ann@example.net", url="/login/", **host)
    other = client.get("/", HTTP_HOST="my.beta-isp.net")
    assert other.status_code == 302 and other["Location"].startswith("/my/beta/login/")
    page = client.get("/login/", HTTP_HOST="my.beta-isp.net").content.decode()
    assert "Beta Fibre" in page and "Alpha" not in page


def test_an_unknown_or_disallowed_host_gets_the_normal_site(client, two_hosts):
    answer = client.get("/", HTTP_HOST="other.example")
    assert answer.status_code == 302 and answer["Location"] == "/staff/"
    assert client.get("/login/", HTTP_HOST="other.example").status_code == 404
    # Not in ALLOWED_HOSTS: Django refuses it before any portal lookup.
    assert client.get("/", HTTP_HOST="my.gamma-isp.net").status_code == 400


def test_a_host_renamed_or_removed_stops_opening_the_portal(client, two_hosts):
    alpha, _beta = two_hosts
    assert client.get("/login/", HTTP_HOST="my.alpha-isp.net").status_code == 200
    row = PortalHost.objects.get(host="my.alpha-isp.net")
    row.host = "other.example"
    row.save()
    assert client.get("/login/", HTTP_HOST="my.alpha-isp.net").status_code == 404
    assert "Alpha Fibre" in client.get("/login/", HTTP_HOST="other.example").content.decode()
    row.delete()
    assert client.get("/login/", HTTP_HOST="other.example").status_code == 404


def test_host_names_are_checked_and_unique(two_hosts):
    alpha, beta = two_hosts
    from django.core.exceptions import ValidationError

    for bad in ("https://my.x.net", "my.x.net:8443", "10.0.0.1", "localhost", "my x.net"):
        with pytest.raises(ValidationError) as caught:
            PortalHost(tenant=alpha, host=bad).full_clean()
        assert "host" in caught.value.message_dict
    taken = PortalHost(tenant=alpha, host="MY.BETA-ISP.NET")
    with pytest.raises(ValidationError) as caught:
        taken.full_clean()
    assert "host" in str(caught.value) or "__all__" in caught.value.message_dict


def test_only_the_platform_operator_manages_host_names(tenant, make_staff):
    staff = Client()
    staff.force_login(make_staff(tenant, "admin"))
    assert staff.get("/admin/portal/portalhost/add/").status_code == 403
    operator = Client()
    operator.force_login(make_staff(None, role="", is_superuser=True))
    assert operator.get("/admin/portal/portalhost/add/").status_code == 200


# Amounts and dates in the tenant's locale.


@pytest.mark.parametrize(
    ("locale", "currency", "country"), [("de_DE", "EUR", "DE"), ("en_ZA", "ZAR", "ZA")]
)
def test_amounts_are_written_in_the_tenants_locale(
    client, make_tenant, make_customer, locale, currency, country
):
    tenant = make_tenant(currency=currency, country=country)
    _brand(tenant, locale=locale)
    customer = _login(tenant, make_customer)
    record_payment(
        tenant=tenant, customer=customer, amount="1234.50", received_on=dt.date(2026, 3, 2)
    )
    _sign_in(client, tenant)
    expected = format_currency(Decimal("1234.50"), currency, locale=locale)
    dashboard = client.get(f"/my/{tenant.slug}/").content.decode()
    assert expected in dashboard  # the credit on the balance card
    payments = client.get(f"/my/{tenant.slug}/payments/").content.decode()
    assert expected in payments


def test_german_amounts_read_as_germans_write_them(client, make_tenant, make_customer):
    tenant = make_tenant(currency="EUR", country="DE")
    _brand(tenant, locale="de-DE")
    customer = _login(tenant, make_customer)
    record_payment(tenant=tenant, customer=customer, amount="1234.50")
    _sign_in(client, tenant)
    page = client.get(f"/my/{tenant.slug}/").content.decode()
    assert re.search(r"1\.234,50\s€", page)


def test_an_unknown_locale_is_refused_on_its_field(admin_client, tenant):
    row = PortalBranding.objects.get(tenant=tenant)
    answer = admin_client.post(_change_url(tenant), _admin_form(row, locale="xx_QQ"))
    assert list(answer.context["adminform"].form.errors) == ["locale"]


# The admin keeps each tenant to its own branding.


def test_a_tenants_admin_cannot_see_or_edit_another_tenants_branding(
    tenant, make_tenant, make_staff
):
    other = make_tenant(name="Zebra Net")
    _brand(other, display_name="Zebra Fibre", primary_color="#2a2a2a")
    client = Client()
    client.force_login(make_staff(tenant, "admin"))
    listing = client.get("/admin/portal/portalbranding/").content.decode()
    assert "Zebra" not in listing and tenant.name in listing
    assert client.get(_change_url(other)).status_code == 302  # "does not exist"
    row = PortalBranding.objects.get(tenant=other)
    client.post(_change_url(other), _admin_form(row, display_name="Hijacked"))
    row.refresh_from_db()
    assert row.display_name == "Zebra Fibre"
    assert client.get(f"/admin/portal/portalbranding/{other.pk}/delete/").status_code in (
        302,
        403,
    )


@pytest.mark.parametrize(
    ("locale", "shown", "label"),
    [
        # A German locale also makes the portal's language German.
        ("de_DE", "02.03.2026", "Quittung vom {} herunterladen (PDF)"),
        ("", "2026-03-02", "Download the receipt of {} (PDF)"),
    ],
)
def test_dates_are_written_in_the_tenants_locale(
    client, make_tenant, make_customer, locale, shown, label
):
    tenant = make_tenant()
    _brand(tenant, locale=locale)
    customer = _login(tenant, make_customer)
    record_payment(tenant=tenant, customer=customer, amount="10.00", received_on=D(2026, 3, 2))
    _sign_in(client, tenant)
    if locale:
        assert shown == format_date(D(2026, 3, 2), format="medium", locale=locale)
    page = client.get(f"/my/{tenant.slug}/payments/").content.decode()
    assert f"<td>{shown}</td>" in page
    assert label.format(shown) in page
