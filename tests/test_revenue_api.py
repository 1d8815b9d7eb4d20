"""The revenue recognition API: months, deferred balance, a line's
schedule, the month close; roles and tenancy."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.accounting.models import AccountingPeriod
from ispstack.accounting.services import recognise_revenue
from ispstack.core import clock
from tests import revenue_world as w

D = dt.date
pytestmark = pytest.mark.django_db
BASE = "/api/v1/revenue-recognition"


@pytest.fixture
def fee(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    line = w.line(inv, "365.00", period=(D(2026, 1, 1), D(2026, 12, 31)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 1))
    return line


def at(day):
    return clock.simulated(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


def test_months_and_deferred_balance(tenant, fee, api_client_for):
    client = api_client_for(tenant, "billing")
    with at(D(2026, 3, 10)):
        months = client.get(f"{BASE}/months/", {"start": "2026-01-01", "end": "2026-02-15"})
        assert months.status_code == 200, months.content
        assert [(m["month"], m["recognised"], m["deferred_end"]) for m in months.json()] == [
            ("2026-01-01", "31.0000", "334.0000"),
            ("2026-02-01", "28.0000", "306.0000"),
        ]
        assert months.json()[0]["by_kind"] == {"recurring": "31.0000"}
        balance = client.get(f"{BASE}/deferred-balance/", {"date": "2026-01-31"}).json()
    assert balance["balances"] == [
        {
            "currency": "EUR",
            "invoiced": "365.0000",
            "recognised": "31.0000",
            "deferred": "334.0000",
            "unbilled": "0.0000",
        }
    ]


def test_line_schedule_and_unknown_line(tenant, fee, api_client_for, make_tenant):
    client = api_client_for(tenant, "billing")
    rows = client.get(f"{BASE}/schedule/", {"line": fee.pk}).json()
    assert len(rows) == 12 and rows[0]["amount"] == "31.0000"
    assert client.get(f"{BASE}/schedule/", {"line": 10**12}).status_code == 404
    assert client.get(f"{BASE}/schedule/", {"line": "x"}).status_code == 404
    assert client.get(f"{BASE}/schedule/").status_code == 400
    other = api_client_for(make_tenant(), "admin")
    assert other.get(f"{BASE}/schedule/", {"line": fee.pk}).status_code == 404


def test_close_month_and_bad_input(tenant, fee, api_client_for):
    client = api_client_for(tenant, "billing")
    with at(D(2026, 2, 5)):
        bad = client.post(f"{BASE}/close/", {"month": "2026-01-15"}, format="json")
        assert bad.status_code == 400 and "month" in bad.content.decode()
        assert client.post(f"{BASE}/close/", {"month": "nope"}, format="json").status_code == 400
        done = client.post(f"{BASE}/close/", {"month": "2026-01-01"}, format="json")
        assert done.status_code == 201, done.content
        again = client.post(f"{BASE}/close/", {"month": "2026-01-01"}, format="json")
        assert again.status_code == 409
    assert list(AccountingPeriod.objects.values_list("month", flat=True)) == [D(2026, 1, 1)]


def test_roles(tenant, fee, api_client_for):
    for role in ("support", "noc", "technician"):
        client = api_client_for(tenant, role)
        assert client.get(f"{BASE}/months/").status_code == 403
        with at(D(2026, 2, 5)):
            closed = client.post(f"{BASE}/close/", {"month": "2026-01-01"}, format="json")
        assert closed.status_code == 403
    assert not AccountingPeriod.objects.exists()
    assert api_client_for(tenant, "admin").get(f"{BASE}/months/").status_code == 200
