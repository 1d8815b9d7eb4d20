"""A service order for an existing customer through the API, without a
lead: the pending subscription, the order (survey step waived) and the
customer's service address; bad input answered 400/404/409 naming the
field with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.network import sites
from ispstack.provisioning.models import ServiceOrder
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db

TOWER = {"kind": "tower", "name": "Tower", "latitude": "52.52", "longitude": "13.40"}


@pytest.fixture
def world(
    tenant: Tenant,
    api_client_for: Callable[..., Any],
    make_plan: Callable[..., Any],
    make_pool: Callable[..., Any],
    make_customer: Callable[..., Any],
) -> dict[str, Any]:
    site = sites.create_site(tenant=tenant, coverage_radius_m=3000, **TOWER)
    sector = sites.create_sector(tenant=tenant, site=site, name="East", azimuth=90)
    return {
        "client": api_client_for(tenant),
        "plan": make_plan(tenant),
        "pool": make_pool(tenant),
        "customer": make_customer(tenant, name="Existing Customer"),
        "site": site,
        "sector": sector,
    }


def body(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "customer": world["customer"].pk,
        "plan": world["plan"].pk,
        "username": "second-line@isp.example",
        "pool": world["pool"].pk,
        "latitude": "52.5210",
        "longitude": "13.4100",
        **extra,
    }


def test_an_order_for_an_existing_customer_runs_to_active(
    world: dict[str, Any], run_on_commit: Any
) -> None:
    client = world["client"]
    made = client.post(
        "/api/v1/service-orders/",
        body(
            world,
            service_address_line1="Karl-Marx-Allee 1",
            service_city="Berlin",
            service_postal_code="10178",
            connection_type="wireless",
            last_mile_technology="lte",
            sector=world["sector"].pk,
            billing_day=15,
        ),
        format="json",
    )
    assert made.status_code == 201, made.json()
    order = made.json()
    assert order["customer"] == world["customer"].pk and order["lead"] is None
    assert order["site"] == world["site"].pk  # the tower covering the point
    assert {s["name"]: s["status"] for s in order["steps"]}["survey_ok"] == "skipped"
    customer = Customer.objects.get(pk=world["customer"].pk)
    assert (customer.service_address_line1, str(customer.service_latitude)) == (
        "Karl-Marx-Allee 1",
        "52.521000",
    )
    sub = Subscription.objects.get(pk=order["subscription"])
    assert (sub.status, sub.billing_day, sub.connection_type, sub.sector_id) == (
        "pending",
        15,
        "wireless",
        world["sector"].pk,
    )
    advanced = client.post(f"/api/v1/service-orders/{order['id']}/advance/")
    assert advanced.json()["status"] == "completed", advanced.json()
    assert Subscription.objects.get(pk=sub.pk).status == "active"


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"plan": None}, 400, "plan"),
        ({"username": ""}, 400, "username"),
        ({"username": "has space"}, 400, "username"),
        ({"latitude": "91"}, 400, "latitude"),
        ({"longitude": "-180.5"}, 400, "longitude"),
        ({"longitude": None}, 400, "longitude"),
        ({"latitude": "48.137", "longitude": "11.575"}, 400, "latitude"),  # Munich: no site
        ({"billing_day": 32}, 400, "billing_day"),
        ({"connection_type": "pigeon"}, 400, "connection_type"),
        ({"appointment_at": "tomorrow"}, 400, "appointment_at"),
        ({"customer": 10**9}, 404, "customer"),
        ({"pool": 10**9}, 404, "pool"),
        ({"unknown": 1}, 400, "unknown"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    world: dict[str, Any], extra: dict[str, Any], code: int, field: str
) -> None:
    data = {k: v for k, v in body(world, **extra).items() if v is not None}
    answer = world["client"].post("/api/v1/service-orders/", data, format="json")
    assert answer.status_code == code, answer.json()
    assert field in str(answer.json()), answer.json()
    assert not ServiceOrder.objects.exists() and not Subscription.objects.exists()
    assert Customer.objects.get(pk=world["customer"].pk).service_latitude is None


def test_gps_is_required_and_a_sector_must_be_on_the_site(
    world: dict[str, Any], make_tenant: Callable[..., Tenant]
) -> None:
    client = world["client"]
    no_gps = {k: v for k, v in body(world).items() if k not in ("latitude", "longitude")}
    answer = client.post("/api/v1/service-orders/", no_gps, format="json")
    assert answer.status_code == 400 and answer.json()["field"] == "latitude"
    other_site = sites.create_site(
        tenant=world["site"].tenant, coverage_radius_m=3000, **{**TOWER, "name": "Other"}
    )
    elsewhere = sites.create_sector(
        tenant=other_site.tenant, site=other_site, name="West", azimuth=270
    )
    answer = client.post(
        "/api/v1/service-orders/",
        body(world, site=world["site"].pk, sector=elsewhere.pk),
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["field"] == "sector"
    assert not Subscription.objects.exists()


def test_another_isps_customer_and_a_taken_username(
    world: dict[str, Any],
    make_tenant: Callable[..., Tenant],
    make_customer: Callable[..., Any],
    make_subscription: Callable[..., Any],
) -> None:
    client = world["client"]
    theirs = make_customer(make_tenant())
    answer = client.post("/api/v1/service-orders/", body(world, customer=theirs.pk), format="json")
    assert answer.status_code == 404 and answer.json()["field"] == "customer"
    make_subscription(world["site"].tenant, username="taken@isp.example")
    answer = client.post(
        "/api/v1/service-orders/", body(world, username="taken@isp.example"), format="json"
    )
    assert answer.status_code == 409 and answer.json()["field"] == "username"
    assert not ServiceOrder.objects.exists()


def test_roles(world: dict[str, Any], api_client_for: Callable[..., Any]) -> None:
    tenant = world["site"].tenant
    for role in ("support", "billing", "technician"):
        client = api_client_for(tenant, role)
        assert client.post("/api/v1/service-orders/", body(world), format="json").status_code == 403
    # noc runs orders but does not edit customers: their recorded address only.
    noc = api_client_for(tenant, "noc")
    assert noc.post("/api/v1/service-orders/", body(world), format="json").status_code == 403
    world["customer"].service_latitude, world["customer"].service_longitude = 52.521, 13.41
    world["customer"].save()
    no_move = {k: v for k, v in body(world).items() if k not in ("latitude", "longitude")}
    made = noc.post("/api/v1/service-orders/", no_move, format="json")
    assert made.status_code == 201, made.json()
