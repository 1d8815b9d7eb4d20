"""The Sales & provisioning screens of the console: leads (coverage, surveys,
conversion), the orders pipeline and an order's timeline with its actions;
bounded queries, roles and other tenants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ispstack.core.models import Tenant
from ispstack.provisioning import orders, services
from ispstack.provisioning.adapters.base import Adapters
from ispstack.provisioning.models import Lead, ServiceOrder
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def qualified_lead(tenant: Tenant, plan: Any, name: str = "Ada") -> Lead:
    lead = services.create_lead(
        tenant=tenant, name=name, email=f"{name.lower()}@example.net", plan=plan
    )
    survey = services.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    services.complete_survey(survey=survey, outcome="serviceable", pole_distance_m=20)
    return lead


def test_lead_page_converts_and_order_page_advances(
    client: Client,
    tenant: Tenant,
    make_staff: Callable[..., Any],
    make_plan: Callable[..., Any],
    make_pool: Callable[..., Any],
    run_on_commit: Any,
) -> None:
    lead = qualified_lead(tenant, make_plan(tenant))
    pool = make_pool(tenant)
    client.force_login(make_staff(tenant, "admin"))
    page = client.get(f"/staff/leads/{lead.pk}/")
    assert page.status_code == 200
    assert b"Serviceable" in page.content and b"Convert" in page.content
    bad = client.post(f"/staff/leads/{lead.pk}/", {"username": "x"})
    assert bad.status_code == 400
    done = client.post(f"/staff/leads/{lead.pk}/", {"username": "ada@isp.example", "pool": pool.pk})
    assert done.status_code == 303
    order = ServiceOrder.objects.get(lead=lead)
    assert done["Location"] == f"/staff/orders/{order.pk}/"
    confirm = client.get(f"/staff/orders/{order.pk}/advance/")
    assert confirm.status_code == 200
    assert client.post(f"/staff/orders/{order.pk}/advance/").status_code == 303
    assert Subscription.objects.get(pk=order.subscription_id).status == "active"
    timeline = client.get(f"/staff/orders/{order.pk}/")
    assert timeline.content.count(b'data-status="done"') >= 4


def test_coverage_button_stores_the_answer(
    client: Client, tenant: Tenant, make_staff: Callable[..., Any]
) -> None:
    from ispstack.network.models import Site

    Site.objects.create(
        tenant=tenant,
        kind="tower",
        name="North",
        slug="north",
        latitude="52.52",
        longitude="13.40",
        coverage_radius_m=2000,
    )
    lead = services.create_lead(tenant=tenant, name="Near", latitude="52.521", longitude="13.4")
    nowhere = services.create_lead(tenant=tenant, name="Nowhere")
    client.force_login(make_staff(tenant, "support"))
    assert b"Check coverage" in client.get(f"/staff/leads/{lead.pk}/").content
    assert client.post(f"/staff/leads/{lead.pk}/coverage/").status_code == 303
    assert b"site North" in client.get(f"/staff/leads/{lead.pk}/").content
    assert client.post(f"/staff/leads/{nowhere.pk}/coverage/").status_code == 400


def test_cancel_needs_a_reason_and_releases(
    client: Client,
    tenant: Tenant,
    make_staff: Callable[..., Any],
    make_subscription: Callable[..., Any],
    make_pool: Callable[..., Any],
) -> None:
    order = orders.create_order(
        subscription=make_subscription(tenant, active=False, pool=None),
        pool=make_pool(tenant),
        cpe_serial="SN-X",
    )
    client.force_login(make_staff(tenant, "noc"))
    assert client.post(f"/staff/orders/{order.pk}/cancel/", {"reason": ""}).status_code == 400
    answer = client.post(f"/staff/orders/{order.pk}/cancel/", {"reason": "withdrawn"})
    assert answer.status_code == 303
    assert ServiceOrder.objects.get(pk=order.pk).status == "cancelled"
    again = client.post(f"/staff/orders/{order.pk}/retry/")
    assert again.status_code == 409


def test_pipeline_counts_and_filters_in_bounded_queries(
    client: Client,
    tenant: Tenant,
    make_staff: Callable[..., Any],
    make_subscription: Callable[..., Any],
    make_pool: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    pool = make_pool(tenant, cidr="100.127.20.0/30")
    made = [
        orders.create_order(
            subscription=make_subscription(tenant, active=False, pool=None), pool=pool
        )
        for _ in range(4)
    ]
    for order in made:
        orders.advance(order=order, adapters=Adapters())
    client.force_login(make_staff(tenant, "support"))
    with django_assert_max_num_queries(12):
        page = client.get("/staff/orders/")
    assert page.status_code == 200
    with django_assert_max_num_queries(12):
        blocked = client.get("/staff/orders/?step=allocate&status=blocked")
    # A /30 holds two addresses: the other two orders are blocked at allocate.
    assert (
        blocked.content.count(b'href="/staff/orders/')
        - blocked.content.count(b'href="/staff/orders/?')
        >= 2
    )
    with django_assert_max_num_queries(12):
        assert client.get(f"/staff/orders/{made[0].pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/staff/leads/").status_code == 200
    # support follows orders but does not run them.
    assert client.get(f"/staff/orders/{made[0].pk}/retry/").status_code == 403


def test_roles_and_other_tenants(
    client: Client,
    make_tenant: Callable[..., Tenant],
    make_staff: Callable[..., Any],
    make_plan: Callable[..., Any],
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    lead = qualified_lead(theirs, make_plan(theirs))
    client.force_login(make_staff(mine, "admin"))
    assert client.get(f"/staff/leads/{lead.pk}/").status_code == 404
    assert client.post(f"/staff/leads/{lead.pk}/", {"username": "a@b.example"}).status_code == 404
    client.force_login(make_staff(mine, "billing"))
    assert client.get("/staff/orders/").status_code == 200
    assert b"Sales &amp; provisioning" in client.get("/staff/leads/").content
