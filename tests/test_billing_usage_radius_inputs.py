"""The writes of billing, usage and radius refuse bad input with a 4xx naming
the field and write nothing, through the API and when the services are
called directly (admin, CLI): dates out of 1970..2199, ids of no row of the
tenant, text too long for its column, volumes beyond a bigint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import BillingRun, Charge, CreditNote, Invoice
from ispstack.billing.proration import add_charge
from ispstack.billing.services import change_plan, run_billing
from ispstack.core.errors import InvalidInput
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.network.models import Nas
from ispstack.network.nas import create_nas
from ispstack.subscriptions.models import PlanChange, Subscription
from ispstack.usage.caps import buy_topup
from ispstack.usage.models import TopUp
from ispstack.usage.selectors import GB

pytestmark = pytest.mark.django_db

D = dt.date


def refused(response, field, status=400):
    """The body of a refused write, after checking its status and that it names ``field``."""
    assert response.status_code == status, response.content[:300]
    body = response.json()
    # DRF names a list item's field "lines.0.line", a service "lines[0].line".
    named = body["field"].replace(".0.", "[0].") if body["field"] else None
    code = "invalid" if status == 400 else "not_found"
    assert (body["code"], named) == (code, field), body
    return body


@pytest.fixture
def invoice(tenant, make_subscription):
    make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    return Invoice.objects.get()


@pytest.fixture
def capped(tenant, make_plan, make_subscription):
    return make_subscription(
        tenant, plan=make_plan(tenant, data_cap_bytes=10 * GB), start_date=D(2026, 1, 1)
    )


# Billing runs


def test_a_billing_run_for_the_year_9999_is_refused_not_a_crash(tenant, api_client_for):
    response = api_client_for(tenant).post(
        "/api/v1/billing-runs/", {"as_of": "9999-12-31"}, format="json"
    )
    assert refused(response, "as_of")["detail"] == "Must lie between 1970-01-01 and 2199-12-31."
    with pytest.raises(InvalidInput) as err:
        run_billing(tenant=tenant, as_of=D(9999, 12, 31))
    assert (err.value.field, err.value.message) == (
        "as_of",
        "must lie between 1970-01-01 and 2199-12-31",
    )
    assert not BillingRun.objects.exists()


def test_the_billing_command_refuses_a_date_out_of_range(tenant):
    with pytest.raises(CommandError, match="--as-of: must lie between 1970-01-01 and 2199-12-31"):
        call_command("billing", "run", "--as-of", "9999-12-31", stdout=StringIO())
    assert not BillingRun.objects.exists()


# Credit notes


def test_a_credit_note_dated_in_the_year_1_is_refused(invoice, api_client_for):
    response = api_client_for(invoice.tenant).post(
        f"/api/v1/invoices/{invoice.pk}/credit-notes/",
        {"reason": "goodwill", "issue_date": "0001-01-01"},
        format="json",
    )
    refused(response, "issue_date")
    with pytest.raises(InvalidInput) as err:
        create_credit_note(invoice=invoice, reason="goodwill", issue_date=D(1, 1, 1))
    assert err.value.field == "issue_date"
    with pytest.raises(InvalidInput) as err:
        create_credit_note(invoice=invoice, reason="x" * (TEXT_MAX_LENGTH + 1))
    assert (err.value.field, err.value.message) == ("reason", "has at most 10000 characters")
    assert not CreditNote.objects.exists()


def test_a_credit_note_line_of_another_tenant_reads_as_unknown(
    invoice, api_client_for, make_tenant, make_subscription
):
    other = make_tenant()
    make_subscription(other, start_date=D(2026, 1, 1))
    run_billing(tenant=other, as_of=D(2026, 1, 1))
    their_line = Invoice.objects.get(tenant=other).lines.first()
    client = api_client_for(invoice.tenant)
    url = f"/api/v1/invoices/{invoice.pk}/credit-notes/"
    for line, status in [(their_line.pk, 404), (2**63, 404), ("abc", 400), (True, 400)]:
        response = client.post(
            url, {"reason": "outage", "lines": [{"line": line, "amount": "1.00"}]}, format="json"
        )
        refused(response, "lines[0].line", status)
    assert not CreditNote.objects.exists()


# One-time charges


def test_a_charge_takes_text_and_an_amount_a_money_column_holds(
    tenant, api_client_for, make_subscription
):
    sub = make_subscription(tenant)
    client = api_client_for(tenant)
    url = f"/api/v1/subscriptions/{sub.pk}/charges/"
    for amount in ("1e30", True, "49.00 EUR"):
        response = client.post(url, {"description": "Router", "amount": amount}, format="json")
        refused(response, "amount")
    response = client.post(url, {"description": 12345, "amount": "49.00"}, format="json")
    assert refused(response, "description")["detail"] == "Must be a string."
    assert not Charge.objects.exists()
    accepted = client.post(url, {"description": "Router", "amount": 49.5}, format="json")
    assert (accepted.status_code, accepted.json()["amount"]) == (201, "49.5000")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"charge_date": D(9999, 12, 31)},
            "charge_date",
            "must lie between 1970-01-01 and 2199-12-31",
        ),
        ({"description": 12345}, "description", "must be a string, not a number"),
        ({"description": "x" * 301}, "description", "has at most 300 characters"),
        ({"description": "bad\x00text"}, "description", "must not contain a NUL character"),
    ],
)
def test_add_charge_checks_its_own_input(tenant, make_subscription, kwargs, field, message):
    sub = make_subscription(tenant)
    with pytest.raises(InvalidInput) as err:
        add_charge(subscription=sub, **{"description": "Router", "amount": "49.00", **kwargs})
    assert (err.value.field, err.value.message) == (field, message)
    assert not Charge.objects.exists()


# Plan changes


def test_a_plan_change_dated_in_the_year_1_is_refused(
    tenant, api_client_for, make_subscription, make_plan
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    faster = make_plan(tenant, download_kbps=100000, upload_kbps=20000)
    response = api_client_for(tenant).post(
        f"/api/v1/subscriptions/{sub.pk}/change-plan/",
        {"plan": faster.pk, "on": "0001-01-01"},
        format="json",
    )
    refused(response, "on")
    for kwargs, field in [
        ({"on": D(1, 1, 1)}, "on"),
        ({"when": "date", "on": D(9999, 12, 31)}, "on"),
        ({"reason": "x" * (TEXT_MAX_LENGTH + 1)}, "reason"),
        ({"reason": 12345}, "reason"),
    ]:
        with pytest.raises(InvalidInput) as err:
            change_plan(subscription=sub, plan=faster, **kwargs)
        assert err.value.field == field
    assert Subscription.objects.get(pk=sub.pk).plan_id != faster.pk
    assert not PlanChange.objects.exists()


def test_a_plan_change_to_another_tenants_plan_reads_as_unknown(
    tenant, api_client_for, make_subscription, make_plan, make_tenant
):
    sub = make_subscription(tenant)
    theirs = make_plan(make_tenant())
    client = api_client_for(tenant)
    for plan, status in [(theirs.pk, 404), (2**63, 404), ("abc", 400), (True, 400)]:
        response = client.post(
            f"/api/v1/subscriptions/{sub.pk}/change-plan/", {"plan": plan}, format="json"
        )
        refused(response, "plan", status)
    assert not PlanChange.objects.exists()


# Top-ups


def test_a_topup_volume_fits_a_bigint_of_bytes(capped, api_client_for):
    client = api_client_for(capped.tenant)
    url = f"/api/v1/subscriptions/{capped.pk}/topups/"
    for body, field in [
        ({"gigabytes": "9223372037"}, "gigabytes"),
        ({"gigabytes": True}, "gigabytes"),
        ({"gigabytes": "0.0001"}, "gigabytes"),
        ({"gigabytes": "10", "price": "abc"}, "price"),
    ]:
        refused(client.post(url, body, format="json"), field)
    assert not TopUp.objects.exists()


def test_a_topup_beyond_a_bigint_of_bytes_is_refused_not_a_database_error(capped):
    for volume in ("1e30", "1e999999", "-1e999999"):
        with pytest.raises(InvalidInput) as err:
            buy_topup(subscription=capped, gigabytes=volume, today=D(2026, 1, 5))
        assert err.value.field == "gigabytes"
    assert not TopUp.objects.exists()


def test_a_topup_price_is_checked_as_the_price(capped):
    with pytest.raises(InvalidInput) as err:
        buy_topup(subscription=capped, gigabytes="5", price="abc", today=D(2026, 1, 5))
    assert (err.value.field, err.value.message) == ("price", "'abc' is not a number")
    assert not TopUp.objects.exists()
    free = buy_topup(subscription=capped, gigabytes="5", price="0", today=D(2026, 1, 5))
    assert free.extra_bytes == 5 * GB
    assert not Charge.objects.exists()
    buy_topup(subscription=capped, gigabytes="0.5", price="1.50", today=D(2026, 1, 5))
    charge = Charge.objects.get()
    assert (charge.description, charge.amount) == ("Data top-up 0.5 GB", Decimal("1.50"))


# NAS


def test_nas_text_is_bounded_like_freeradius_columns(tenant, api_client_for):
    base = {"nasname": "192.0.2.30", "shortname": "bng3", "secret": "s3cret-nas"}
    for field, value in [("shortname", "x" * 33), ("description", "x" * 201)]:
        with pytest.raises(InvalidInput) as err:
            create_nas(tenant=tenant, **{**base, field: value})
        assert err.value.field == field
        response = api_client_for(tenant, "noc").post(
            "/api/v1/nas/", {**base, field: value}, format="json"
        )
        refused(response, field)
    assert not Nas.objects.exists()


def test_a_nas_patch_of_form_garbage_changes_nothing(tenant, api_client_for):
    nas = create_nas(tenant=tenant, nasname="192.0.2.30", shortname="bng3", secret="s3cret-nas")
    client = api_client_for(tenant, "noc")
    response = client.generic(
        "PATCH",
        f"/api/v1/nas/{nas.pk}/",
        b"shortnam=bng4",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "shortnam"
    empty = client.post("/api/v1/nas/", {}, format="json")
    assert (empty.status_code, empty.json()["code"], empty.json()["field"]) == (
        400,
        "required",
        "nasname",
    )
    nas.refresh_from_db()
    assert nas.shortname == "bng3"
