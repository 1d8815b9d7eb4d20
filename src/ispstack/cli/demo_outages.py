"""The demo ISP's outages: a power failure at the tower resolved two days
before the end of the simulation, and a fibre cut on one sector still being
worked at its end, with a customer's fault report grouped under it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ispstack.core import clock, outbox
from ispstack.core.models import Tenant
from ispstack.network.models import Sector, Site
from ispstack.tickets import services as tickets
from ispstack.tickets.models import Outage, OutageImpact, Ticket
from ispstack.tickets.outages import services

DEMO = "demo"


def outages(
    tenant: Tenant, *, now: dt.datetime, drain: Callable[[], object] = outbox.drain
) -> dict[str, int]:
    """Declare and resolve the tower's outage (95 minutes, two days before
    ``now``), then declare the sector's still active at ``now``; the
    customers' notices are sent by ``drain`` (the demo's mail worker's).
    Returns counts for the demo's summary."""
    tower = Site.objects.filter(tenant=tenant, kind="tower").order_by("pk").first()
    sector = (
        Sector.objects.filter(tenant=tenant, subscriptions__isnull=False)
        .order_by("pk")
        .distinct()
        .first()
    )
    if tower is None or sector is None:
        return {}
    began = now - dt.timedelta(days=2, hours=3)
    with clock.simulated(began):
        past = services.declare_outage(
            tenant=tenant,
            site=tower,
            cause="power",
            description="Mains power failure at the tower; the batteries ran out.",
            expected_end_at=began + dt.timedelta(hours=2),
            actor=DEMO,
        )
    with clock.simulated(began + dt.timedelta(minutes=95)):
        services.resolve_outage(outage=past, actor=DEMO, note="Generator connected")
    with clock.simulated(now - dt.timedelta(hours=1)):
        active = services.declare_outage(
            tenant=tenant,
            sector=sector,
            cause="fibre_cut",
            description="The backhaul fibre to this sector was cut by roadworks.",
            expected_end_at=now + dt.timedelta(hours=4),
            actor=DEMO,
        )
    impact = OutageImpact.objects.filter(outage=active).select_related("customer").first()
    if impact is not None:
        with clock.simulated(now - dt.timedelta(minutes=20)):
            tickets.open_ticket(
                tenant=tenant,
                subject="Internet down since this morning",
                ticket_type="outage_report",
                customer=impact.customer,
                source="portal",
            )
    with clock.simulated(now):
        drain()
    return {
        "outages": Outage.objects.filter(tenant=tenant).count(),
        "affected": active.affected_count,
        "grouped": Ticket.objects.filter(outage=active).count(),
    }


def reset(tenant: Tenant) -> None:
    """Delete the tenant's tickets and outages (before its subscriptions and
    inventory, which they point at)."""
    Ticket.objects.filter(tenant=tenant).delete()
    Outage.objects.filter(tenant=tenant).delete()
