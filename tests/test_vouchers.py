"""Prepaid vouchers: plans, batch generation, sales, agents' commission,
cards, the API's answers to bad input and other tenants, and the RADIUS
rows a sale writes (FreeRADIUS itself: tests/integration/test_vouchers_freeradius.py)."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest

from ispstack.core.errors import InvalidInput, NotFound
from ispstack.hotspot.models import Voucher, VoucherState
from ispstack.hotspot.vouchers import cards, codes, selectors, services
from ispstack.radius.models import RadCheck, RadReply
from ispstack.radius.services import sync_all
from tests.conftest import tenant_tax

pytestmark = pytest.mark.django_db


def _plan(tenant, **overrides):
    values = {
        "code": "hour",
        "name": "One hour",
        "duration_seconds": 3600,
        "download_kbps": 4096,
        "upload_kbps": 1024,
        "price": "1.00",
        "tax_rate": tenant_tax(tenant, "15"),
    }
    values.update(overrides)
    return services.create_plan(tenant=tenant, **values)


def test_a_batch_has_count_distinct_codes_from_the_alphabet(tenant):
    batch = services.generate_batch(
        tenant=tenant, plan=_plan(tenant), count=500, prefix="hs-", code_length=8
    )
    got = list(Voucher.objects.filter(batch=batch).values_list("code", flat=True))
    assert len(got) == len(set(got)) == 500
    assert all(c.startswith("HS-") and len(c) == 11 for c in got)
    assert all(set(c[3:]) <= set(codes.DEFAULT_ALPHABET) for c in got)
    assert not set("".join(got)) & codes.LOOK_ALIKES
    assert selectors.state_counts(batch) == {"new": 500, "sold": 0, "used": 0, "expired": 0}
    # Unsold cards open no door.
    assert not RadCheck.objects.filter(username__in=got).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": codes.MAX_BATCH + 1}, "count"),
        ({"count": "ten"}, "count"),
        ({"count": 5, "alphabet": "ABCDEFGHJKMNPRST0"}, "alphabet"),
        ({"count": 5, "alphabet": "abcdefghjkmnprstuv"}, "alphabet"),
        ({"count": 5, "alphabet": "ABCEFGH"}, "alphabet"),
        ({"count": 5, "alphabet": "AABCEFGHJKMNPRSTUV"}, "alphabet"),
        ({"count": 5, "code_length": 3}, "code_length"),
        ({"count": 100_000, "code_length": 6}, "code_length"),
        ({"count": 5, "prefix": "TOO-LONG-PREFIX"}, "prefix"),
    ],
)
def test_bad_batch_input_names_the_field_and_writes_nothing(tenant, kwargs, field):
    plan = _plan(tenant)
    with pytest.raises(InvalidInput) as error:
        services.generate_batch(tenant=tenant, plan=plan, **kwargs)
    assert error.value.field == field
    assert not Voucher.objects.exists()


def test_wrong_currency_and_window_are_refused(tenant):
    with pytest.raises(InvalidInput) as error:
        _plan(tenant, currency="XYZ")
    assert error.value.field == "currency"
    with pytest.raises(InvalidInput) as error:
        _plan(tenant, valid_from="2026-12-02T00:00:00Z", valid_until="2026-12-01T00:00:00Z")
    assert error.value.field == "valid_until"
    with pytest.raises(InvalidInput) as error:
        _plan(tenant, duration_seconds=30)
    assert error.value.field == "duration_seconds"


def test_another_tenants_plan_is_not_found(make_tenant):
    mine, theirs = make_tenant(), make_tenant()
    with pytest.raises(NotFound) as error:
        services.generate_batch(tenant=mine, plan=_plan(theirs).pk, count=1)
    assert error.value.field == "plan"


def test_a_sale_writes_the_rows_and_a_full_radius_rewrite_keeps_them(tenant):
    plan = _plan(tenant, data_limit_bytes=6 * 2**30, simultaneous_use=2)
    batch = services.generate_batch(tenant=tenant, plan=plan, count=4)
    assert services.sell_batch(batch=batch, count=3) == 3
    sold = Voucher.objects.filter(batch=batch, state=VoucherState.SOLD).order_by("id")
    code = sold[0].code
    assert dict(RadCheck.objects.filter(username=code).values_list("attribute", "value")) == {
        "Cleartext-Password": code,
        "Simultaneous-Use": "2",
    }
    assert dict(RadReply.objects.filter(username=code).values_list("attribute", "value")) == {
        "Acct-Interim-Interval": "300",
        "Mikrotik-Rate-Limit": "1024k/4096k",
        "Session-Timeout": "3600",
        "Mikrotik-Total-Limit": str(2 * 2**30),
        "Mikrotik-Total-Limit-Gigawords": "1",
    }
    before = (
        RadCheck.objects.filter(tenant=tenant).count()
        + RadReply.objects.filter(tenant=tenant).count()
    )
    assert sync_all(tenant.pk)["orphans_removed"] == 0
    after = (
        RadCheck.objects.filter(tenant=tenant).count()
        + RadReply.objects.filter(tenant=tenant).count()
    )
    assert after == before == 3 * 7
    with pytest.raises(InvalidInput) as error:
        services.sell_batch(batch=batch, count=2)
    assert error.value.field == "count"


@pytest.mark.parametrize(("prefix", "length"), [("HS-2026-", codes.MAX_LENGTH), ("", 7)])
def test_accounting_of_codes_of_every_shape_reaches_the_voucher(tenant, prefix, length):
    """The radacct trigger fires only for usernames shaped like codes
    (hotspot migration 0007): the longest and shortest codes must be among them."""
    from ispstack.core import clock
    from ispstack.radius.models import RadAcct

    batch = services.generate_batch(
        tenant=tenant, plan=_plan(tenant), count=1, prefix=prefix, code_length=length
    )
    services.sell_batch(batch=batch)
    voucher = Voucher.objects.get(batch=batch)
    RadAcct.objects.create(
        acctsessionid="s1",
        acctuniqueid=f"u-{voucher.code}",
        username=voucher.code,
        nasipaddress="10.0.0.1",
        acctstarttime=clock.now(),
        acctupdatetime=clock.now(),
        acctsessiontime=120,
        acctinputoctets=1000,
        acctoutputoctets=500,
    )
    after = Voucher.objects.values_list("state", "used_seconds", "used_bytes").get(pk=voucher.pk)
    assert after == (VoucherState.USED, 120, 1500)


def test_agent_commission_is_rounded_to_the_cent(tenant):
    agent = services.create_agent(tenant=tenant, name="Corner shop", commission_percent="12.5")
    plan = _plan(tenant, price="1.99")
    batch = services.generate_batch(tenant=tenant, plan=plan, count=10, agent=agent.pk)
    services.sell_batch(batch=batch, count=7)
    [figures] = selectors.agent_figures(agent)
    # 7 x 1.99 = 13.93 net; 12.5 % = 1.74125 -> 1.74
    assert (figures.sold, figures.revenue, figures.commission_due) == (
        7,
        Decimal("13.93"),
        Decimal("1.74"),
    )


def test_the_agent_and_batch_lists_read_their_figures_in_a_bounded_number_of_queries(
    tenant, api_client_for, django_assert_max_num_queries
):
    """The sales figures of every agent and the state counts of every batch
    come from one query per list, whatever the number of rows."""
    plan = _plan(tenant, price="2.00")
    for n in range(4):
        agent = services.create_agent(tenant=tenant, name=f"Shop {n}", commission_percent="10")
        batch = services.generate_batch(tenant=tenant, plan=plan, count=3, agent=agent.pk)
        services.sell_batch(batch=batch, count=n % 3 + 1)
    api = api_client_for(tenant, "billing")
    with django_assert_max_num_queries(12):
        agents = api.get("/api/v1/voucher-agents/").json()["results"]
    with django_assert_max_num_queries(12):
        batches = api.get("/api/v1/voucher-batches/").json()["results"]
    assert sorted(a["figures"][0]["sold"] for a in agents) == [1, 1, 2, 3]
    assert sorted(Decimal(a["figures"][0]["revenue"]) for a in agents) == [2, 2, 4, 6]
    assert sorted((b["states"]["new"], b["states"]["sold"]) for b in batches) == [
        (0, 3),
        (1, 2),
        (2, 1),
        (2, 1),
    ]


def test_cards_are_ten_per_page_with_the_code(tenant, tmp_path):
    batch = services.generate_batch(tenant=tenant, plan=_plan(tenant), count=11)
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(cards.batch_pdf(batch))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    first = Voucher.objects.filter(batch=batch).order_by("id").first()
    assert first is not None and first.code in pages[0]
    assert len([p for p in pages if p.strip()]) == 2
    assert "1.15 EUR incl. tax" in text
    # Each card's QR code is the hotspot login URL that logs its own code in.
    url = selectors.login_url(tenant, first.code)
    assert f"username={first.code}&password={first.code}" in url
    assert cards.qr_svg(url) in cards.batch_html(batch)


def test_api_generates_sells_and_refuses_bad_input_and_other_tenants(make_tenant, api_client_for):
    mine, theirs = make_tenant(), make_tenant()
    api = api_client_for(mine, "billing")
    plan = api.post(
        "/api/v1/voucher-plans/",
        {
            "code": "day",
            "name": "Day",
            "duration_seconds": 86400,
            "download_kbps": 2048,
            "upload_kbps": 512,
            "price": "3.00",
            "tax_rate": tenant_tax(mine, "15").pk,
        },
        format="json",
    )
    assert plan.status_code == 201, plan.content
    bad = api.post(
        "/api/v1/voucher-batches/generate/", {"plan": plan.json()["id"], "count": 0}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "count"
    bad = api.post(
        "/api/v1/voucher-batches/generate/",
        {"plan": plan.json()["id"], "count": 5, "alphabet": "0123456789ABCDEF"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "alphabet"
    made = api.post(
        "/api/v1/voucher-batches/generate/", {"plan": plan.json()["id"], "count": 5}, format="json"
    )
    assert made.status_code == 201, made.content
    batch_id = made.json()["id"]
    sold = api.post(f"/api/v1/voucher-batches/{batch_id}/sell/", {"count": 2}, format="json")
    assert sold.json() == {"sold": 2}
    listed = api.get("/api/v1/vouchers/", {"batch": batch_id, "state": "sold"})
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 2

    other = api_client_for(theirs, "admin")
    assert other.get(f"/api/v1/voucher-batches/{batch_id}/").status_code == 404
    assert (
        other.post(f"/api/v1/voucher-batches/{batch_id}/sell/", {}, format="json").status_code
        == 404
    )
    theirs_plan = other.post(
        "/api/v1/voucher-batches/generate/", {"plan": plan.json()["id"], "count": 1}, format="json"
    )
    assert theirs_plan.status_code == 404
    assert Voucher.objects.filter(tenant=theirs).count() == 0

    support = api_client_for(mine, "support")
    assert (
        support.post(
            "/api/v1/voucher-batches/generate/",
            {"plan": plan.json()["id"], "count": 1},
            format="json",
        ).status_code
        == 403
    )
    assert support.get("/api/v1/vouchers/").status_code == 200
