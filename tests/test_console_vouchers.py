"""The console's voucher screens: generate a batch, its page with counts per
state, mark sold, the cards PDF, the lookup; voucher plans and agents set up
in a clerk's units; roles and other tenants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.hotspot.models import Voucher, VoucherAgent, VoucherBatch, VoucherPlan, VoucherState
from ispstack.hotspot.vouchers import services
from tests.conftest import tenant_tax

pytestmark = pytest.mark.django_db


def _plan(tenant):
    return services.create_plan(
        tenant=tenant,
        code="hour",
        name="One hour",
        duration_seconds=3600,
        download_kbps=4096,
        upload_kbps=1024,
        price="1.00",
        tax_rate=tenant_tax(tenant, "15"),
    )


def test_billing_generates_sells_and_downloads_cards(client, tenant, make_staff):
    plan = _plan(tenant)
    client.force_login(make_staff(tenant, "billing"))
    bad = client.post(
        "/staff/vouchers/",
        {"plan": plan.pk, "count": "0", "code_length": "10", "alphabet": "ABC"},
    )
    assert bad.status_code == 400
    assert "between 1 and 100,000" in bad.content.decode()
    assert not VoucherBatch.objects.exists()

    made = client.post(
        "/staff/vouchers/",
        {
            "plan": plan.pk,
            "count": "12",
            "code_prefix": "HS",
            "code_length": "10",
            "alphabet": "23456789ABCEFGHJKMNPRSTUVWXYZ",
        },
    )
    assert made.status_code == 302
    batch = VoucherBatch.objects.get()
    page = client.get(made["Location"]).content.decode()
    assert 'id="state-new">12<' in page

    assert client.post(made["Location"], {"count": "5"}).status_code == 302
    assert Voucher.objects.filter(batch=batch, state=VoucherState.SOLD).count() == 5
    refused = client.post(made["Location"], {"count": "8"})
    assert refused.status_code == 400
    assert Voucher.objects.filter(batch=batch, state=VoucherState.SOLD).count() == 5

    pdf = client.get(f"/staff/vouchers/batches/{batch.pk}/cards/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    code = Voucher.objects.filter(batch=batch).first().code
    found = client.get("/staff/vouchers/", {"code": code.lower()}).content.decode()
    assert 'id="voucher-found"' in found and code in found


def test_roles_and_other_tenants(client, make_tenant, make_staff):
    mine, theirs = make_tenant(), make_tenant()
    batch = services.generate_batch(tenant=theirs, plan=_plan(theirs), count=2)
    client.force_login(make_staff(mine, "admin"))
    assert client.get(f"/staff/vouchers/batches/{batch.pk}/").status_code == 404
    assert client.get(f"/staff/vouchers/batches/{batch.pk}/cards/").status_code == 404
    assert client.post(f"/staff/vouchers/batches/{batch.pk}/", {}).status_code == 404
    code = Voucher.objects.filter(batch=batch).first().code
    # The lookup finds nothing: the search box keeps what was typed, but no
    # voucher, batch or plan of the other tenant shows.
    page = client.get("/staff/vouchers/", {"code": code}).content.decode()
    assert "No voucher with this code." in page
    assert "One hour" not in page

    own = services.generate_batch(tenant=mine, plan=_plan(mine), count=1)
    client.force_login(make_staff(mine, "support"))
    assert client.get("/staff/vouchers/").status_code == 200
    assert client.post("/staff/vouchers/", {"count": "1"}).status_code == 403
    assert client.post(f"/staff/vouchers/batches/{own.pk}/", {}).status_code == 403
    client.force_login(make_staff(mine, "technician"))
    assert client.get("/staff/vouchers/").status_code == 403


def _plan_form(tenant, **changes):
    form = {
        "code": "day",
        "name": "Day pass",
        "validity": "1",
        "validity_unit": "days",
        "duration_start": "first_login",
        "online_time": "2",
        "online_time_unit": "hours",
        "data_limit_gb": "1.5",
        "download_kbps": "4000",
        "upload_kbps": "512",
        "simultaneous_use": "2",
        "price": "2.50",
        "tax_rate": tenant_tax(tenant, "15").pk,
        "valid_from": "2026-12-05T08:00",
        "valid_until": "",
        "is_active": "on",
    }
    form.update(changes)
    return form


def test_billing_sets_up_a_voucher_plan_in_a_clerks_units(client, tenant, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    assert "Valid for" in client.get("/staff/vouchers/plans/new/").content.decode()

    short = client.post("/staff/vouchers/plans/new/", _plan_form(tenant, validity="0"))
    assert short.status_code == 400
    assert list(short.context["form"].errors) == ["validity"]
    backwards = client.post(
        "/staff/vouchers/plans/new/", _plan_form(tenant, valid_until="2026-12-05T07:00")
    )
    assert backwards.status_code == 400
    assert "must be after valid_from" in backwards.content.decode()
    assert not VoucherPlan.objects.exists()

    made = client.post("/staff/vouchers/plans/new/", _plan_form(tenant))
    assert made.status_code == 303
    plan = VoucherPlan.objects.get(tenant=tenant)
    assert (plan.duration_seconds, plan.time_limit_seconds) == (86400, 7200)
    assert plan.data_limit_bytes == 1_500_000_000
    assert (plan.download_kbps, plan.upload_kbps, plan.simultaneous_use) == (4000, 512, 2)
    assert (plan.price, plan.currency) == (Decimal("2.50"), "EUR")
    # 08:00 in Berlin in December is 07:00 UTC.
    assert plan.valid_from == dt.datetime(2026, 12, 5, 7, 0, tzinfo=dt.UTC)

    taken = client.post("/staff/vouchers/plans/new/", _plan_form(tenant, name="Other"))
    assert taken.status_code == 409
    assert "voucher plan code &#x27;day&#x27; is taken" in taken.content.decode()

    edit = client.get(f"/staff/vouchers/plans/{plan.pk}/").content.decode()
    assert 'value="2026-12-05T08:00"' in edit and 'value="1.5' in edit
    changed = client.post(
        f"/staff/vouchers/plans/{plan.pk}/", _plan_form(tenant, price="3.00", is_active="")
    )
    assert changed.status_code == 303
    plan.refresh_from_db()
    assert plan.price == Decimal("3.00") and not plan.is_active

    listed = client.get("/staff/vouchers/").content.decode()
    assert "1\u00a0d" in listed and "4\u00a0Mbit/s / 512\u00a0kbit/s" in listed
    assert "1.5\u00a0GB" in listed


def test_billing_keeps_agents_and_others_may_not(client, make_tenant, make_staff):
    mine, theirs = make_tenant(), make_tenant()
    client.force_login(make_staff(mine, "billing"))
    greedy = {"name": "Kiosk 1", "commission_percent": "150"}
    assert client.post("/staff/vouchers/agents/new/", greedy).status_code == 400
    assert not VoucherAgent.objects.exists()
    made = client.post(
        "/staff/vouchers/agents/new/",
        {"name": "Kiosk 1", "email": "kiosk@example.net", "commission_percent": "10"},
    )
    assert made.status_code == 303
    agent = VoucherAgent.objects.get(tenant=mine)
    twin = client.post(
        "/staff/vouchers/agents/new/", {"name": "Kiosk 1", "commission_percent": "5"}
    )
    assert twin.status_code == 409 and VoucherAgent.objects.count() == 1
    assert (
        client.post(
            f"/staff/vouchers/agents/{agent.pk}/", {"name": "Kiosk 1", "commission_percent": "12.5"}
        ).status_code
        == 303
    )
    agent.refresh_from_db()
    assert agent.commission_percent == Decimal("12.5") and agent.email == ""
    assert "12.5\u00a0%" in client.get("/staff/vouchers/").content.decode()

    foreign = services.create_agent(tenant=theirs, name="Elsewhere")
    foreign_plan = _plan(theirs)
    assert client.get(f"/staff/vouchers/agents/{foreign.pk}/").status_code == 404
    assert client.post(f"/staff/vouchers/agents/{foreign.pk}/", {"name": "x"}).status_code == 404
    assert client.get(f"/staff/vouchers/plans/{foreign_plan.pk}/").status_code == 404
    client.force_login(make_staff(mine, "support"))
    assert client.get("/staff/vouchers/agents/new/").status_code == 403
    assert client.post("/staff/vouchers/plans/new/", {}).status_code == 403
    assert "New voucher plan" not in client.get("/staff/vouchers/").content.decode()
