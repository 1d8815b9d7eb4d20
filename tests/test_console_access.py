"""The staff console's door: who gets in, what a page shows of other tenants,
and how values read (money with its currency, bytes in GB)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from ispstack.core import display

pytestmark = pytest.mark.django_db


def test_root_opens_the_console_and_anonymous_users_are_sent_to_log_in(client: Client):
    assert client.get("/").url == "/staff/"
    answer = client.get("/staff/")
    assert answer.status_code == 302
    assert answer.url.startswith("/staff/login/?next=/staff/")


def test_staff_log_in_on_the_console_page_and_land_on_the_dashboard(
    client: Client, make_tenant, make_staff
):
    clerk = make_staff(make_tenant(), "billing")
    answer = client.post(
        "/staff/login/", {"username": clerk.username, "password": "pw-staff-123", "next": "/staff/"}
    )
    assert answer.status_code == 302 and answer.url == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert clerk.username in page.content.decode()


def test_a_wrong_password_is_refused_on_the_page(client: Client, make_tenant, make_staff):
    clerk = make_staff(make_tenant(), "billing")
    answer = client.post("/staff/login/", {"username": clerk.username, "password": "wrong"})
    assert answer.status_code == 200
    assert "correct username and password" in answer.content.decode()
    assert client.get("/staff/").status_code == 302


def test_a_user_who_is_not_staff_cannot_use_the_console(client: Client, make_tenant, make_staff):
    user = make_staff(make_tenant(), "billing")
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get("/staff/").status_code == 403


def test_search_never_finds_another_tenants_customer(
    client: Client, make_tenant, make_staff, make_customer
):
    mine, other = make_tenant(), make_tenant()
    make_customer(mine, name="Thandi Mokoena")
    make_customer(other, name="Thandi Other-Tenant")
    client.force_login(make_staff(mine, "support"))
    page = client.get("/staff/search/", {"q": "Thandi"}).content.decode()
    assert "Thandi Mokoena" in page
    assert "Other-Tenant" not in page


@pytest.mark.parametrize(
    ("amount", "currency", "country", "shown"),
    [
        (Decimal("573.8500"), "ZAR", "ZA", "R\u00a0573.85"),
        (Decimal("500"), "JPY", "JP", "¥500"),
        (Decimal("-1234.5"), "EUR", "DE", "-€1,234.50"),
        (Decimal("12"), "CHF", "CH", "CHF\u00a012.00"),
    ],
)
def test_money_reads_with_its_symbol_and_the_currencys_decimals(amount, currency, country, shown):
    assert display.money(amount, currency, country) == shown


def test_a_three_decimal_currency_keeps_its_third_decimal():
    assert display.money(Decimal("0.005"), "KWD").endswith("0.005")


def test_sizes_durations_and_rates_read_as_people_say_them():
    assert display.data_size(1_234_567_890) == "1.2\u00a0GB"
    assert display.data_size(850_000_000) == "850\u00a0MB"
    assert display.duration(7_500) == "2\u00a0h 5\u00a0min"
    assert display.percent(Decimal("15.00")) == "15\u00a0%"
    assert display.quantity(Decimal("2.5000")) == "2.5"
