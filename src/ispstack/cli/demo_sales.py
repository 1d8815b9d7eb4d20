"""The demo ISP's sales and provisioning: leads in every status, surveys
with each outcome, and service orders in every state (completed, blocked at
the address allocation, failed at the CPE step and retried, cancelled,
waiting to start), all through the provisioning services."""

from __future__ import annotations

import datetime as dt

from ispstack.catalog.models import Plan
from ispstack.core import clock
from ispstack.core.models import Tenant
from ispstack.network.models import IPPool, Onu, Site
from ispstack.network.services import create_pool
from ispstack.provisioning import orders
from ispstack.provisioning.models import Lead, ServiceOrder, SiteSurvey
from ispstack.provisioning.services import (
    cancel_survey,
    check_coverage,
    complete_survey,
    convert_lead,
    create_lead,
    schedule_survey,
)
from ispstack.subscriptions.equipment import assign_onu, release_onu
from ispstack.subscriptions.models import Subscription

# Cape Town addresses (WGS 84) of the demo's prospects.
PROSPECTS = [
    ("Thandi Mokoena", "referral", "-33.9249", "18.4241"),
    ("Pieter van Wyk", "web", "-33.9321", "18.4170"),
    ("Aisha Patel", "walk_in", "-33.9180", "18.4233"),
    ("Johan Botha", "phone", "-33.9400", "18.4600"),
    ("Lerato Dlamini", "campaign", "-33.9290", "18.4300"),
    ("Sipho Ndlovu", "web", "-33.9350", "18.4100"),
    ("Grace Adams", "referral", "-33.9210", "18.4350"),
    ("Ruan Pretorius", "campaign", "-34.0500", "18.8000"),
    ("Nomsa Khumalo", "web", "-33.9260", "18.4190"),
    ("Zanele Mthembu", "phone", "-33.9230", "18.4280"),
    ("Willem Smit", "web", "-33.9300", "18.4220"),
]


def _lead(tenant: Tenant, plan: Plan, index: int) -> Lead:
    name, source, lat, lon = PROSPECTS[index]
    lead = create_lead(
        tenant=tenant,
        actor="demo",
        name=name,
        email=f"{name.split()[0].lower()}@prospect.example",
        phone=f"+27 21 555 {index:04d}",
        address=f"{10 + index} Long Street, Cape Town",
        latitude=lat,
        longitude=lon,
        plan=plan,
        source=source,
    )
    if Site.objects.for_tenant(tenant).exists():
        lead = check_coverage(lead=lead, actor="demo")
    return lead


def _surveyed(tenant: Tenant, plan: Plan, index: int, outcome: str = "serviceable") -> Lead:
    lead = _lead(tenant, plan, index)
    survey = schedule_survey(
        lead=lead, actor="demo", scheduled_at=clock.now() - dt.timedelta(days=2)
    )
    complete_survey(
        survey=survey,
        actor="demo",
        outcome=outcome,
        fibre_available=outcome != "not_serviceable",
        pole_distance_m=25 + 40 * index,
        obstacles="" if outcome == "serviceable" else "the road must be crossed",
        install_minutes=90,
    )
    return lead


def sales_pipeline(tenant: Tenant, plans: list[Plan], pool: IPPool) -> dict[str, int]:
    """Leads, surveys and orders in every state (see the module docstring);
    returns the count of leads and of orders by status."""
    plan = plans[0]
    # new, contacted, lost
    _lead(tenant, plan, 0)
    contacted = _lead(tenant, plan, 1)
    Lead.objects.filter(pk=contacted.pk).update(status="contacted")
    lost = _surveyed(tenant, plan, 7, outcome="not_serviceable")
    Lead.objects.filter(pk=lost.pk).update(status="lost", notes="no fibre in the street")
    # survey scheduled, and one cancelled and rescheduled
    waiting = _lead(tenant, plan, 2)
    first = schedule_survey(lead=waiting, actor="demo", scheduled_at=clock.now())
    cancel_survey(survey=first, actor="demo", reason="nobody at home")
    schedule_survey(lead=waiting, actor="demo", scheduled_at=clock.now() + dt.timedelta(days=2))
    # qualified, needs work first
    needs_work = _surveyed(tenant, plan, 3, outcome="needs_work")
    complete_survey(
        survey=SiteSurvey.objects.filter(lead=needs_work).first(),  # type: ignore[arg-type]
        actor="demo",
        outcome="serviceable",
    )

    # Converted: completed, blocked at allocation, CPE failed and retried,
    # cancelled, waiting to start.
    adapters = orders.steps.adapters_for(tenant)
    completed = convert_lead(
        lead=_surveyed(tenant, plan, 4),
        actor="demo",
        username="lerato@demofibre.example",
        pool=pool,
    )
    orders.advance(order=completed, actor="demo")
    # A one-address pool: the first order takes it, the second is blocked.
    single = create_pool(tenant=tenant, name="demo-single", cidr="100.64.250.7/32", actor="demo")
    holder_order = convert_lead(
        lead=_surveyed(tenant, plan, 5),
        actor="demo",
        username="sipho@demofibre.example",
        pool=single,
    )
    orders.run_step(holder_order.pk, "allocate", adapters=adapters)
    blocked = convert_lead(
        lead=_surveyed(tenant, plan, 6),
        actor="demo",
        username="grace@demofibre.example",
        pool=single,
    )
    orders.advance(order=blocked, actor="demo")
    # The CPE's ONU is still assigned to an old subscriber: the CPE step is
    # blocked; the ONU is collected back into stock and the step retried.
    onu = Onu.objects.create(tenant=tenant, serial="ZTEG0DE00001", model="F660")
    old = Subscription.objects.for_tenant(tenant).filter(status="active").first()
    if old is not None:
        assign_onu(onu=onu, subscription=old, actor="demo")
    cpe = convert_lead(
        lead=_surveyed(tenant, plan, 8),
        actor="demo",
        username="nomsa@demofibre.example",
        pool=pool,
        cpe_serial=onu.serial,
    )
    orders.advance(order=cpe, actor="demo")
    if old is not None:
        release_onu(onu=onu, reason="collected from the old subscriber", actor="demo")
        orders.retry(order=cpe, actor="demo")
    cancelled = convert_lead(
        lead=_surveyed(tenant, plan, 9),
        actor="demo",
        username="zanele@demofibre.example",
        pool=pool,
    )
    orders.run_step(cancelled.pk, "allocate", adapters=adapters)
    orders.cancel(order=cancelled, actor="demo", reason="the customer moved away")
    convert_lead(
        lead=_surveyed(tenant, plan, 10),
        actor="demo",
        username="willem@demofibre.example",
        pool=pool,
    )
    return {
        "leads": Lead.objects.for_tenant(tenant).count(),
        **{
            status: ServiceOrder.objects.for_tenant(tenant).filter(status=status).count()
            for status in ("open", "completed", "cancelled")
        },
    }
