"""The console's revenue recognition page: months with currency, a line's
schedule, the close with its confirmation, roles and tenancy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from ispstack.accounting.models import AccountingPeriod
from ispstack.accounting.services import recognise_revenue
from ispstack.core import clock
from tests import revenue_world as w

D = dt.date
pytestmark = pytest.mark.django_db
PAGE = "/staff/finance/revenue/"


def at(day):
    return clock.simulated(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


@pytest.fixture
def fee(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    line = w.line(inv, "365.00", period=(D(2026, 1, 1), D(2026, 12, 31)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 1))
    return line


def test_page_shows_months_deferred_balance_and_a_lines_schedule(
    client: Client, tenant, fee, make_staff
):
    client.force_login(make_staff(tenant, "billing"))
    with at(D(2026, 3, 10)):
        page = client.get(PAGE).content.decode()
        assert "Revenue recognition" in page
        assert "2026-02" in page and "28.00" in page and "€" in page
        assert "Close 2026-02" in page  # nothing closed yet: last month is offered
        schedule = client.get(PAGE, {"line": fee.pk}).content.decode()
    assert schedule.count("31.00") >= 1 and "2026-12" in schedule
    assert client.get(PAGE, {"line": "x"}).status_code == 404


def test_close_asks_first_then_closes(client: Client, tenant, fee, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    with at(D(2026, 2, 5)):
        confirm = client.get(PAGE, {"close": "2026-01-01"}).content.decode()
        assert "Close January 2026?" in confirm
        assert not AccountingPeriod.objects.exists()
        done = client.post(f"{PAGE}close/", {"month": "2026-01-01"})
        assert done.status_code == 302
        assert list(AccountingPeriod.objects.values_list("month", flat=True)) == [D(2026, 1, 1)]
        again = client.post(f"{PAGE}close/", {"month": "2026-01-01"}, follow=True)
    assert "closed already" in again.content.decode()


def test_roles_and_tenancy(client: Client, tenant, fee, make_staff, make_tenant):
    client.force_login(make_staff(tenant, "support"))
    assert client.get(PAGE).status_code == 403
    with at(D(2026, 2, 5)):
        assert client.post(f"{PAGE}close/", {"month": "2026-01-01"}).status_code == 403
    assert not AccountingPeriod.objects.exists()
    client.force_login(make_staff(make_tenant(), "admin"))
    assert client.get(PAGE, {"line": fee.pk}).status_code == 404
