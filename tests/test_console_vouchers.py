"""The console's voucher screens: generate a batch, its page with counts per
state, mark sold, the cards PDF, the lookup; roles and other tenants."""

from __future__ import annotations

import pytest

from ispstack.hotspot.models import Voucher, VoucherBatch, VoucherState
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
