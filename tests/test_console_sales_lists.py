"""The console's lead and service order lists (``console.lists``): filters,
search, CSV export of the filtered rows, another tenant's rows never shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ispstack.core.models import Tenant
from ispstack.provisioning import orders, services
from tests import console_export

pytestmark = pytest.mark.django_db


def exported(client: Client, url: str, **filters: str) -> list[dict[str, str]]:
    text = console_export.exported(client, url, "csv", **filters).decode().lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def sales(
    make_tenant: Callable[..., Tenant], make_plan: Callable[..., Any], make_subscription: Any
) -> Any:
    mine, theirs = make_tenant(), make_tenant()
    plan = make_plan(mine)
    services.create_lead(tenant=mine, name="Ada Web", email="ada@example.net", source="web")
    services.create_lead(tenant=mine, name="Bob Phone", phone="+4930111222", source="phone")
    services.create_lead(tenant=mine, name="Cy Plan", plan=plan, source="referral")
    services.create_lead(tenant=theirs, name="Theirs Lead", source="web")
    mine_order = orders.create_order(subscription=make_subscription(mine, active=False))
    orders.create_order(subscription=make_subscription(theirs, active=False))
    return mine, mine_order


def test_leads_filter_search_and_export(
    client: Client, make_staff: Callable[..., Any], sales: Any
) -> None:
    mine, _order = sales
    client.force_login(make_staff(mine, "support"))
    page = client.get("/staff/leads/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ada Web" in text and "Bob Phone" in text and "Theirs Lead" not in text
    web = client.get("/staff/leads/", {"source": "web"}).content.decode()
    assert "Ada Web" in web and "Bob Phone" not in web
    found = client.get("/staff/leads/", {"q": "+4930111"}).content.decode()
    assert "Bob Phone" in found and "Ada Web" not in found

    rows = exported(client, "/staff/leads/", source="referral")
    assert [(r["Name"], r["Source"]) for r in rows] == [("Cy Plan", "Referral")]
    assert {r["Name"] for r in exported(client, "/staff/leads/")} == {
        "Ada Web",
        "Bob Phone",
        "Cy Plan",
    }


def test_orders_list_filters_and_exports(
    client: Client, make_staff: Callable[..., Any], sales: Any
) -> None:
    mine, order = sales
    client.force_login(make_staff(mine, "noc"))
    page = client.get("/staff/orders/all/")
    assert page.status_code == 200
    assert f'href="/staff/orders/{order.pk}/"' in page.content.decode()
    rows = exported(client, "/staff/orders/all/")
    assert [(r["Order"], r["Username"], r["Status"]) for r in rows] == [
        (str(order.pk), order.subscription.username, "Open")
    ]
    assert exported(client, "/staff/orders/all/", status="completed") == []
    assert exported(client, "/staff/orders/all/", q=order.subscription.username)


def test_roles(client: Client, make_staff: Callable[..., Any], sales: Any) -> None:
    mine, _order = sales
    client.force_login(make_staff(mine, "technician"))
    assert client.get("/staff/leads/").status_code == 403
    assert client.get("/staff/orders/all/").status_code == 403
    client.force_login(make_staff(mine, "billing"))
    assert client.get("/staff/orders/all/").status_code == 200
    menu = client.get("/staff/orders/").content.decode()
    assert 'href="/staff/orders/all/"' in menu and 'href="/staff/leads/"' in menu
