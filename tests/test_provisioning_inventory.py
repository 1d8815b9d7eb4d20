"""Leads and orders with the network inventory: the coverage check stored on
the lead, the plan's VLAN at the site, the ONU taken from stock at the CPE
step and put back when the order is cancelled."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.network.models import Onu, PlanVlan, Site, Vlan
from ispstack.provisioning import orders, services
from ispstack.provisioning.adapters.base import Adapters
from ispstack.provisioning.models import ServiceOrder
from ispstack.subscriptions.models import OnuAssignment, Subscription

pytestmark = pytest.mark.django_db


def tower(tenant: Tenant, name: str = "North") -> Site:
    return Site.objects.create(
        tenant=tenant,
        kind="tower",
        name=name,
        slug=name.lower(),
        latitude=Decimal("52.52"),
        longitude=Decimal("13.40"),
        coverage_radius_m=2000,
    )


def test_coverage_check_stores_covered_and_not_covered(
    tenant: Tenant, api_client_for: Callable[..., Any]
) -> None:
    site = tower(tenant)
    near = services.create_lead(tenant=tenant, name="Near", latitude="52.521", longitude="13.401")
    far = services.create_lead(tenant=tenant, name="Far", latitude="48.1", longitude="11.5")
    client = api_client_for(tenant)
    answer = client.post(f"/api/v1/leads/{near.pk}/coverage/")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["coverage"] == "covered"
    assert answer.json()["site"] == site.pk
    assert "North" in answer.json()["coverage_detail"]
    missed = client.post(f"/api/v1/leads/{far.pk}/coverage/").json()
    assert missed["coverage"] == "not_covered" and missed["site"] is None
    nowhere = services.create_lead(tenant=tenant, name="Nowhere")
    with pytest.raises(InvalidInput) as raised:
        services.check_coverage(lead=nowhere)
    assert raised.value.field == "latitude"
    # Moving the lead clears the answer.
    moved = services.update_lead(lead=near, latitude="48.0")
    assert moved.coverage == "unchecked" and moved.site is None


def test_order_takes_the_plans_vlan_and_the_onu_from_stock(
    tenant: Tenant,
    make_plan: Callable[..., Any],
    make_pool: Callable[..., Any],
    run_on_commit: Any,
) -> None:
    site = tower(tenant)
    plan = make_plan(tenant)
    vlan = Vlan.objects.create(tenant=tenant, site=site, vid=210, name="fibre-residential")
    PlanVlan.objects.create(tenant=tenant, site=site, plan=plan, vlan=vlan)
    onu = Onu.objects.create(tenant=tenant, serial="ZTEG12345678", model="F601")
    lead = services.create_lead(
        tenant=tenant,
        name="Ada",
        email="ada@example.net",
        plan=plan,
        latitude="52.521",
        longitude="13.401",
    )
    services.check_coverage(lead=lead)
    survey = services.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    services.complete_survey(survey=survey, outcome="serviceable")
    order = services.convert_lead(
        lead=lead,
        username="ada@isp.example",
        pool=make_pool(tenant),
        cpe_serial="ZTEG12345678",
    )
    assert order.site == site
    planned = {p["step"]: p["actions"] for p in orders.dry_run(order=order)}
    assert any("assign ONU ZTEG12345678" in a for a in planned["cpe"])
    orders.advance(order=order, adapters=Adapters())
    order = ServiceOrder.objects.get(pk=order.pk)
    assert order.status == "completed" and order.vlan_id == 210
    assert Onu.objects.get(pk=onu.pk).state == "assigned"
    assert OnuAssignment.objects.filter(onu=onu, released_at__isnull=True).count() == 1


def test_onu_stays_in_stock_while_the_device_is_pending(
    tenant: Tenant, make_subscription: Callable[..., Any], make_pool: Callable[..., Any]
) -> None:
    onu = Onu.objects.create(tenant=tenant, serial="HWTC87654321", model="HG8010")

    class Offline:
        def provision_cpe(self, **kwargs: Any) -> None:
            from ispstack.provisioning.adapters.base import DevicePending

            raise DevicePending("not informed yet")

        def deprovision_cpe(self, **kwargs: Any) -> None:
            pass

    order = orders.create_order(
        subscription=make_subscription(tenant, active=False, pool=None),
        pool=make_pool(tenant),
        cpe_serial="HWTC87654321",
    )
    orders.advance(order=order, adapters=Adapters(acs=Offline()))
    # The ONU assignment rolled back with the pending try: nothing half-done.
    assert Onu.objects.get(pk=onu.pk).state == "in_stock"
    order = ServiceOrder.objects.get(pk=order.pk)
    assert order.steps.get(name="cpe").status == "pending"
    orders.advance(order=order, adapters=Adapters(), force=True)
    assert Onu.objects.get(pk=onu.pk).state == "assigned"
    assert OnuAssignment.objects.filter(onu=onu).count() == 1


def test_cancel_of_open_order_releases_its_onu(
    tenant: Tenant, make_subscription: Callable[..., Any], make_pool: Callable[..., Any]
) -> None:
    onu = Onu.objects.create(tenant=tenant, serial="ALCL00000001", model="G-010G")
    order = orders.create_order(
        subscription=make_subscription(tenant, active=False, pool=None),
        pool=make_pool(tenant),
        cpe_serial="ALCL00000001",
    )
    for name in ("allocate", "radius", "installation", "cpe"):
        orders.run_step(order.pk, name, adapters=Adapters())
    assert Onu.objects.get(pk=onu.pk).state == "assigned"
    orders.cancel(order=order, reason="customer moved", adapters=Adapters())
    assert Onu.objects.get(pk=onu.pk).state == "in_stock"
    sub = Subscription.objects.get(pk=order.subscription_id)
    assert sub.status == "terminated" and sub.ip_address is None
