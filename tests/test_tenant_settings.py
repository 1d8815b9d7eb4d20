"""Each app keeps its own settings of a tenant (billing terms, billing days,
account numbers, RADIUS suspension, SEPA creditor data): every tenant has
them from the moment it exists, reads are cached, and the tenant's admin
page edits them with clear errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.forms import CheckboxInput, FileField
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ispstack.billing.models import BillingSettings, Invoice
from ispstack.billing.selectors import settings_for as billing_settings
from ispstack.billing.services import run_billing
from ispstack.core import tenant_settings
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.customers.models import CustomerSettings
from ispstack.hotspot.models import VoucherSettings
from ispstack.payments.models import DirectDebitSettings
from ispstack.portal.models import PortalBranding
from ispstack.provisioning.models import ProvisioningSettings
from ispstack.radius.models import RadiusSettings
from ispstack.reports.models import ReportSettings
from ispstack.subscriptions.models import SubscriptionSettings
from ispstack.subscriptions.services import change_billing_day
from ispstack.tickets.models import TicketSettings

pytestmark = pytest.mark.django_db

DEFAULTS = {
    BillingSettings: {
        "invoice_net_days": 14,
        "proration_billing": "next_invoice",
        "prices_include_tax": False,
        "tax_rounding": "line",
        "bill_suspended_days": True,
        "credit_on_termination": True,
        "invoice_number_format": "INV-{year}-{seq:05d}",
        "credit_note_number_format": "CN-{year}-{seq:05d}",
    },
    SubscriptionSettings: {"allowed_billing_days": []},
    CustomerSettings: {"account_number_format": "CT-{year}-{seq:05d}"},
    RadiusSettings: {
        "suspension_mode": "reject",
        "default_nas_type": "mikrotik",
        "walled_garden_address_list": "walled-garden",
    },
    DirectDebitSettings: {
        "sepa_creditor_id": "",
        "sepa_creditor_iban": "",
        "sepa_creditor_bic": "",
        "direct_debit_return_fee": Decimal("0.00"),
    },
    ProvisioningSettings: {
        "ipam_backend": "ispstack",
        "netbox_url": "",
        "netbox_token": "",
        "genieacs_url": "",
        "mikrotik_host": "",
        "mikrotik_port": 8728,
        "router_dry_run": True,
        "timeout_seconds": 10,
    },
    TicketSettings: {
        "number_format": "TCK-{date:%Y%m%d}-{rand4hex}",
        "reopen_days": 7,
        "max_attachment_bytes": 10 * 1024 * 1024,
        "business_days": [1, 2, 3, 4, 5],
        "business_day_start": dt.time(8, 0),
        "business_day_end": dt.time(17, 0),
    },
    PortalBranding: {
        "display_name": "",
        "logo": "",
        "primary_color": "",
        "accent_color": "",
        "locale": "",
        "sms_sign_in": False,
    },
    ReportSettings: {"gross_margin_percent": None},
    VoucherSettings: {"login_url": "http://login.wifi/login"},
}


def test_every_app_with_tenant_settings_is_covered():
    assert set(tenant_settings.registered()) == set(DEFAULTS)


@pytest.mark.parametrize("model", list(DEFAULTS), ids=lambda m: m.__name__)
def test_a_new_tenant_gets_each_apps_settings_with_the_defaults(model):
    tenant = Tenant.objects.create(name="New ISP", slug="new-isp")
    row = model.objects.get(tenant=tenant)
    assert {name: getattr(row, name) for name in DEFAULTS[model]} == DEFAULTS[model]


@pytest.mark.parametrize("model", list(DEFAULTS), ids=lambda m: m.__name__)
def test_a_tenant_inserted_without_save_gets_its_settings_on_first_read(model):
    (tenant,) = Tenant.objects.bulk_create([Tenant(name="Bulk ISP", slug="bulk-isp")])
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert not model.objects.filter(tenant=tenant).exists()
    row = tenant_settings.settings_of(tenant, model)
    assert model.objects.get(tenant=tenant) == row
    assert {name: getattr(row, name) for name in DEFAULTS[model]} == DEFAULTS[model]


def test_settings_are_read_once_per_tenant_instance(tenant, django_assert_num_queries):
    fresh = Tenant.objects.get(pk=tenant.pk)
    with django_assert_num_queries(1):
        for _ in range(5):
            assert billing_settings(fresh).invoice_net_days == 14


def test_a_billing_run_reads_the_settings_once_not_per_invoice(make_tenant, make_subscription):
    tenant = make_tenant(invoice_net_days=30, invoice_number_format="F{year}/{seq:04d}")
    for _ in range(4):
        make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    fresh = Tenant.objects.get(pk=tenant.pk)
    with CaptureQueriesContext(connection) as queries:
        run_billing(tenant=fresh, as_of=dt.date(2026, 1, 1))
    invoices = Invoice.objects.filter(tenant=tenant).order_by("number")
    assert [i.number for i in invoices] == [f"F2026/000{n}" for n in range(1, 5)]
    assert {i.due_date for i in invoices} == {dt.date(2026, 1, 31)}
    reads = [q for q in queries.captured_queries if '"billing_billingsettings"' in q["sql"]]
    # Once for the run's tenant, once for the chunk's (the worker loads its own).
    assert 1 <= len(reads) <= 2


def test_deleting_a_tenant_deletes_its_settings(make_tenant):
    tenant = make_tenant()
    tenant.delete()
    for model in DEFAULTS:
        assert not model.objects.exists()


# --- the tenant's admin page ---------------------------------------------------


def _post_data(response: Any) -> dict[str, Any]:
    """What the browser would post back for the page's forms, unchanged: the
    tenant's form, each inline's management form and its forms."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            if isinstance(bound.field, FileField):  # the logo: no upload
                continue
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
                continue
            if value is None:
                continue
            data[bound.html_name] = bound.field.prepare_value(value)
    return data


def _field(data: dict[str, Any], name: str) -> str:
    (key,) = [k for k in data if k.endswith(f"-{name}")]
    return key


@pytest.fixture
def tenant_admin(tenant, make_staff):
    client = Client()
    client.force_login(make_staff(tenant, "admin"))
    return client, reverse("admin:core_tenant_change", args=[tenant.pk])


def test_the_tenant_page_shows_each_apps_settings(tenant_admin):
    client, url = tenant_admin
    page = client.get(url)
    assert page.status_code == 200
    shown = {inline.opts.model for inline in page.context["inline_admin_formsets"]}
    assert shown == set(DEFAULTS)


def test_the_tenant_admin_changes_payment_terms_and_billing_days(
    tenant, tenant_admin, make_subscription
):
    client, url = tenant_admin
    data = _post_data(client.get(url))
    data[_field(data, "invoice_net_days")] = "30"
    data[_field(data, "allowed_billing_days")] = "25, 1,5 1"
    data[_field(data, "suspension_mode")] = "walled_garden"
    data[_field(data, "direct_debit_return_fee")] = "2.50"
    data[_field(data, "lockout_failures")] = "3"
    data[_field(data, "lockout_minutes")] = "60"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for i in response.context["inline_admin_formsets"] for f in i.formset.forms
    ]
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert tenant.billing_settings.invoice_net_days == 30
    assert tenant.subscription_settings.allowed_billing_days == [1, 5, 25]
    assert tenant.radius_settings.suspension_mode == "walled_garden"
    assert tenant.direct_debit_settings.direct_debit_return_fee == Decimal("2.50")
    lockout = tenant.voucher_settings
    assert (lockout.lockout_failures, lockout.lockout_minutes) == (3, 60)
    page = client.get(url)
    assert 'value="1, 5, 25"' in page.content.decode()
    # A subscription's billing day is now held to the days chosen.
    with pytest.raises(InvalidInput) as err:
        change_billing_day(subscription=make_subscription(tenant), billing_day=15)
    assert (err.value.field, err.value.message) == ("billing_day", "must be one of 1, 5, 25")


@pytest.mark.parametrize(
    "typed",
    ["1, 32", "0", "first", "1.5", "\u00b2", "9" * 5000],
    ids=["32", "zero", "word", "fraction", "superscript", "5000-digits"],
)
def test_a_billing_day_outside_the_month_is_refused_naming_the_field(tenant, tenant_admin, typed):
    client, url = tenant_admin
    data = _post_data(client.get(url))
    data[_field(data, "allowed_billing_days")] = typed
    data[_field(data, "invoice_net_days")] = "30"
    response = client.post(url, data)
    assert response.status_code == 200
    errors = [
        str(error)
        for inline in response.context["inline_admin_formsets"]
        for form in inline.formset.forms
        for error in form.errors.get("allowed_billing_days", [])
    ]
    assert len(errors) == 1
    assert errors[0].startswith("Allowed billing days:")
    assert "from 1 to 31" in errors[0]
    # Nothing of the page is saved.
    assert Tenant.objects.get(pk=tenant.pk).billing_settings.invoice_net_days == 14


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("invoice_number_format", "INV-{year}", "must contain {seq}"),
        ("account_number_format", "CT-{seq:05d}-{branch}", "not a valid number format"),
        ("invoice_net_days", "400", "less than or equal to 365"),
        ("direct_debit_return_fee", "-1", "greater than or equal to 0"),
        ("lockout_minutes", "0", "greater than or equal to 1"),
        ("lockout_failures", "-1", "greater than or equal to 0"),
    ],
)
def test_settings_that_would_break_billing_are_refused(tenant_admin, field, typed, message):
    client, url = tenant_admin
    data = _post_data(client.get(url))
    data[_field(data, field)] = typed
    response = client.post(url, data)
    assert response.status_code == 200
    errors = [
        str(error)
        for inline in response.context["inline_admin_formsets"]
        for form in inline.formset.forms
        for error in form.errors.get(field, [])
    ]
    assert len(errors) == 1 and message in errors[0]


def test_the_platform_operator_creates_a_tenant_with_its_settings(make_staff):
    client = Client()
    client.force_login(make_staff(None, role="", is_superuser=True))
    url = reverse("admin:core_tenant_add")
    data = _post_data(client.get(url))
    data.update({"name": "Fresh Fibre", "slug": "fresh", "timezone": "UTC", "currency": "EUR"})
    data["country"] = "DE"
    data[_field(data, "invoice_net_days")] = "10"
    data[_field(data, "account_number_format")] = "FF-{seq:06d}"
    response = client.post(url, data)
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="fresh")
    assert tenant.billing_settings.invoice_net_days == 10
    assert tenant.customer_settings.account_number_format == "FF-{seq:06d}"
    # The inlines left untouched still gave the tenant its rows, with defaults.
    assert tenant.radius_settings.suspension_mode == "reject"
    assert tenant.subscription_settings.allowed_billing_days == []


def test_a_tenants_staff_sees_only_its_own_settings(make_tenant, make_staff):
    own, other = make_tenant(), make_tenant(invoice_net_days=45)
    client = Client()
    client.force_login(make_staff(own, "admin"))
    other_page = client.get(reverse("admin:core_tenant_change", args=[other.pk]))
    assert other_page.status_code == 302
    own_page = client.get(reverse("admin:core_tenant_change", args=[own.pk]))
    (billing,) = [
        i for i in own_page.context["inline_admin_formsets"] if i.opts.model is BillingSettings
    ]
    assert [f.instance.pk for f in billing.formset.forms] == [own.pk]
    assert billing.formset.forms[0].instance.invoice_net_days == 14
