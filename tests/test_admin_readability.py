"""The back office reads as a clerk expects: money with its currency
(``R 573.85``, never ``499.0000``), billing-run totals per currency, RADIUS
sessions in GB under their attribute names, a customer picker that searches
(and only the user's tenant), a working invoice PDF link, tax exemption and
tags on the customer form, plurals spelled right, no PPPoE password on the page.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from ispstack.billing.models import BillingRun, Invoice
from ispstack.billing.services import run_billing
from ispstack.payments.models import PaymentMethod
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadAcct

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _text(response) -> str:
    """The page's text with non-breaking spaces as spaces."""
    assert response.status_code == 200, response.status_code
    return response.content.decode().replace(NBSP, " ").replace("&nbsp;", " ")


@pytest.fixture
def za(make_tenant):
    return make_tenant(currency="ZAR", country="ZA", timezone="Africa/Johannesburg")


@pytest.fixture
def billed(za, make_subscription, make_plan):
    """A South African tenant with one invoice of R 499.00 net (VAT 15 %) and a payment."""
    plan = make_plan(za, monthly_price="499.00", tax_percent="15")
    sub = make_subscription(za, plan=plan, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=za, as_of=dt.date(2026, 1, 1))
    invoice = Invoice.objects.get(tenant=za)
    record_payment(
        tenant=za,
        customer=sub.customer,
        amount="100.00",
        received_on=dt.date(2026, 1, 5),
        method=PaymentMethod.BANK_TRANSFER,
        reference="EFT 1",
    )
    return za, sub, invoice


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_money_in_lists_and_detail_pages_shows_its_currency(billed, make_staff):
    tenant, sub, invoice = billed
    client = _client(make_staff(tenant, "admin"))
    assert invoice.total == Decimal("573.8500")
    pages = {
        reverse("admin:billing_invoice_changelist"): ["R 573.85", "R 100.00"],
        reverse("admin:billing_invoice_change", args=[invoice.pk]): [
            "R 573.85",
            "R 499.00",
            "R 74.85",
            "15 %",
        ],
        reverse("admin:payments_payment_changelist"): ["R 100.00", "R 0.00"],
        reverse("admin:catalog_plan_changelist"): ["R 499.00"],
        reverse("admin:catalog_taxrate_changelist"): ["15 %"],
    }
    for url, expected in pages.items():
        text = _text(client.get(url))
        for value in expected:
            assert value in text, (url, value)
        assert not re.search(r"\d\.\d{4}\b", text), (url, re.findall(r"\S*\d\.\d{4}\b", text))
        # The invoice line's quantity is "1", not "1.000000".
        assert "1.000000" not in text


def test_billing_run_totals_read_as_money(billed, make_staff):
    tenant, _sub, _invoice = billed
    run = BillingRun.objects.get(tenant=tenant)
    run.totals = {"ZAR": "13774.70", "EUR": "12.50"}
    run.save(update_fields=["totals"])
    client = _client(make_staff(tenant, "admin"))
    for url in (
        reverse("admin:billing_billingrun_changelist"),
        reverse("admin:billing_billingrun_change", args=[run.pk]),
    ):
        text = _text(client.get(url))
        assert "R 13,774.70" in text
        assert "€12.50" in text
        assert "13774.70" not in text


def test_radius_sessions_read_in_gb_under_attribute_names(billed, make_staff):
    tenant, sub, _invoice = billed
    start = dt.datetime(2026, 1, 10, 8, tzinfo=dt.UTC)
    session = RadAcct.objects.create(
        acctsessionid="81000001",
        acctuniqueid="u-1",
        username=sub.username,
        nasipaddress="192.0.2.1",
        acctstarttime=start,
        acctupdatetime=start + dt.timedelta(hours=3),
        acctsessiontime=3 * 3600 + 5 * 60,
        # 5 gigawords (5 << 32) plus some octets: 21.6 GB received.
        acctoutputoctets=(5 << 32) + 123_456_789,
        acctinputoctets=850_000_000,
    )
    client = _client(make_staff(tenant, "noc"))
    for url in (
        reverse("admin:radius_radacct_changelist"),
        reverse("admin:radius_radacct_change", args=[session.pk]),
    ):
        text = _text(client.get(url))
        assert "21.6 GB" in text
        assert "850 MB" in text
        assert "3 h 5 min" in text
        assert "Acct-Input-Octets" in text and "Downloaded" in text
        assert str((5 << 32) + 123_456_789) not in text
        for raw in ("Acctinputoctets", "Acctsessionid", "Nasipaddress", "Acctstarttime"):
            assert raw not in text, (url, raw)


def test_customer_pickers_search_and_stay_in_the_tenant(make_tenant, make_customer, make_staff):
    own, other = make_tenant(), make_tenant()
    mine = make_customer(own, name="Zola Mokoena")
    theirs = make_customer(other, name="Zola Naidoo")
    client = _client(make_staff(own, "billing"))
    add_page = _text(client.get(reverse("admin:payments_payment_add")))
    assert "admin-autocomplete" in add_page
    assert "Zola" not in add_page  # no <select> of every customer
    for model in ("payment", "refund"):
        response = client.get(
            "/admin/autocomplete/",
            {
                "app_label": "payments",
                "model_name": model,
                "field_name": "customer",
                "term": "Zola",
            },
        )
        assert response.status_code == 200
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == [str(mine.pk)], model
        # An empty term lists the tenant's own customers only.
        response = client.get(
            "/admin/autocomplete/",
            {"app_label": "payments", "model_name": model, "field_name": "customer", "term": ""},
        )
        assert str(theirs.pk) not in [row["id"] for row in response.json()["results"]]
    # A posted id of another tenant's customer is refused by the form.
    response = client.post(
        reverse("admin:payments_payment_add"),
        {
            "customer": theirs.pk,
            "amount": "10.00",
            "received_on": "2026-01-05",
            "method": PaymentMethod.BANK_TRANSFER,
            "reference": "x",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_invoice_pdf_link_answers_the_pdf(billed, make_staff, make_tenant, tmp_path):
    tenant, _sub, invoice = billed
    client = _client(make_staff(tenant, "billing"))
    page = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()
    link = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
    assert f'href="{link}"' in page
    listing = client.get(reverse("admin:billing_invoice_changelist")).content.decode()
    assert f'href="{link}"' in listing
    # No link into the private media folder (where the stored file's own link pointed).
    assert "/media/" not in page
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert invoice.number in text
    # Another tenant's staff get a 404, not the document.
    stranger = _client(make_staff(make_tenant(), "billing"))
    assert stranger.get(link).status_code == 404


def _customer_form(customer, **changes) -> dict[str, str]:
    data = {
        "name": customer.name,
        "email": customer.email,
        "phone": "",
        "currency": customer.currency,
        "tags": "",
        "notes": "",
        "tax_exemption_reference": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_customer_form_saves_tax_exemption_and_tags(make_tenant, make_customer, make_staff):
    from ispstack.core.models import AuditLog
    from ispstack.customers.models import Customer

    tenant = make_tenant()
    customer = make_customer(tenant)
    client = _client(make_staff(tenant, "admin"))
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = _text(client.get(url))
    for name in ("tax_exempt", "tax_exemption_reference", "tags"):
        assert f'name="{name}"' in page

    # Exempt without a reference: refused, the error next to the reference.
    response = client.post(url, _customer_form(customer, tax_exempt="on"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "tax_exemption_reference" in errors
    customer.refresh_from_db()
    assert not customer.tax_exempt

    # A tag that isn't a word: refused, naming the tag.
    response = client.post(url, _customer_form(customer, tags="vip, <script>"))
    assert "“<script>” is not a tag" in response.context["adminform"].form.errors["tags"][0]

    response = client.post(
        url,
        _customer_form(
            customer,
            tax_exempt="on",
            tax_exemption_reference="Section 12(a) certificate 42",
            tags="VIP,  government , vip",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.tax_exempt
    assert customer.tax_exemption_reference == "Section 12(a) certificate 42"
    assert customer.tags == ["government", "vip"]
    # Saved through the customers service: audited.
    assert AuditLog.objects.filter(action="customer.update", object_id=str(customer.pk)).exists()
    # The form shows the tags as typed words again.
    assert 'value="government, vip"' in _text(client.get(url))


def _default_plural_is_wrong(singular: str) -> bool:
    """Django adds an "s"; English wants "es" after s, x, z, ch, sh and "ies"
    after a consonant + y."""
    word = singular.split()[-1].lower()
    if word.isupper() or singular.split()[-1].isupper():  # an acronym: "NAS"
        return False
    return word.endswith(("s", "x", "z", "ch", "sh")) or (
        word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou"
    )


@pytest.mark.parametrize(
    ("singular", "wrong"),
    [("direct debit batch", True), ("webhook delivery", True), ("NAS", False), ("day", False)],
)
def test_the_plural_rule(singular, wrong):
    assert _default_plural_is_wrong(singular) is wrong


def test_every_model_name_has_a_correct_plural(make_staff):
    from django.apps import apps

    wrong = [
        model._meta.label
        for model in apps.get_app_config("core").apps.get_models()
        if model.__module__.startswith("ispstack.")
        and str(model._meta.verbose_name_plural) == f"{model._meta.verbose_name}s"
        and _default_plural_is_wrong(str(model._meta.verbose_name))
    ]
    assert wrong == []
    client = _client(make_staff(None, "", is_superuser=True))
    index = _text(client.get(reverse("admin:index")))
    assert "Direct debit batches" in index
    assert "batchs" not in index and "deliverys" not in index


@pytest.mark.parametrize("role", ["admin", "billing", "noc", "support"])
def test_the_pppoe_password_is_never_on_the_subscription_page(
    tenant, make_subscription, make_staff, role
):
    from ispstack.radius.models import RadCheck

    sub = make_subscription(tenant, password="Wr1te-0nly-pw")
    client = _client(make_staff(tenant, role))
    pages = [
        reverse("admin:subscriptions_subscription_change", args=[sub.pk]),
        reverse("admin:subscriptions_subscription_changelist"),
        reverse("admin:radius_radcheck_changelist"),
    ]
    check = RadCheck.objects.filter(username=sub.username).first()
    if check is not None:
        pages.append(reverse("admin:radius_radcheck_change", args=[check.pk]))
    for url in pages:
        response = client.get(url)
        if response.status_code in (302, 403):  # the role has no view of the page at all
            continue
        assert response.status_code == 200, (url, response.status_code)
        assert "Wr1te-0nly-pw" not in response.content.decode(), (role, url)


def test_every_detail_page_opens_and_shows_no_raw_amounts(
    make_tenant, make_plan, make_subscription
):
    """Each admin list and the detail page of its first row, on a tenant with a
    row behind every route: no page fails, and no money reads as ``499.0000``."""
    from rest_framework.test import APIClient

    from tests.api_world import World

    factories = {"plan": make_plan, "subscription": make_subscription}
    world = World(make_tenant(), APIClient(), factories, nas_address="192.0.2.10")
    world.add_rows_behind_every_route()
    from ispstack.core.models import User

    staff = User.objects.create_superuser("root-cfix", "root@example.net", "pw-root-123")
    client = _client(staff)
    opened = 0
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        text = _text(client.get(reverse("admin:{}_{}_changelist".format(*info))))
        row = model_admin.get_queryset(type("R", (), {"user": staff})()).first()
        if row is not None:
            url = reverse("admin:{}_{}_change".format(*info), args=[row.pk])
            text += _text(client.get(url))
            opened += 1
        raw = re.findall(r".{80}\d\.\d{4}\b.{20}", text)
        assert raw == [], (model._meta.label, raw)
    assert opened > 30
