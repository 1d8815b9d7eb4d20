"""Outages: the subscriptions a site, sector, NAS or device serves, the
customers' notices at start and end (real SMTP and SMPP peers), fault tickets
grouped under an outage, outage minutes and uptime, idempotency, bad input,
roles and tenants, the console pages."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ispstack.core import clock, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.network.models import Device, Nas, PonPort, Sector, Site
from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import terminate
from ispstack.tickets import services as tickets
from ispstack.tickets.models import Outage, OutageImpact, Team, TeamMember, Ticket
from ispstack.tickets.outages import selectors, services
from ispstack.tickets.scan import scan_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the outbox's after-commit dispatch at the end of a block."""
    return django_capture_on_commit_callbacks


T0 = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def net(tenant: Any, make_subscription: Any) -> dict[str, Any]:
    """A tower with a sector (its AP a device), a POP with a NAS, an OLT with
    one PON port, and subscribers on each."""
    tower = Site.objects.create(
        tenant=tenant, kind="tower", name="Hill", slug="hill", latitude=52, longitude=13
    )
    pop = Site.objects.create(
        tenant=tenant, kind="pop", name="POP 1", slug="pop-1", latitude=52, longitude=13
    )
    ap = Device.objects.create(tenant=tenant, role="ap", name="ap-1", serial="AP1", site=tower)
    sector = Sector.objects.create(
        tenant=tenant, site=tower, name="North", azimuth=0, access_point=ap
    )
    router = Device.objects.create(
        tenant=tenant, role="router", name="bras-1", serial="R1", site=pop
    )
    nas = Nas.objects.create(
        tenant=tenant,
        nasname="192.0.2.10",
        shortname="bras-1",
        secret="x",
        site=pop,
        device=router,
    )
    olt = Device.objects.create(tenant=tenant, role="olt", name="olt-1", serial="O1", site=pop)
    PonPort.objects.create(tenant=tenant, olt=olt, slot=0, port=1)
    cpe = Device.objects.create(tenant=tenant, role="cpe", name="cpe-9", serial="C9")
    on_sector = make_subscription(tenant)
    on_nas = make_subscription(tenant)
    with_cpe = make_subscription(tenant)
    elsewhere = make_subscription(tenant)
    Subscription.objects.filter(pk=on_sector.pk).update(sector=sector)
    Subscription.objects.filter(pk=on_nas.pk).update(nas=nas)
    Subscription.objects.filter(pk=with_cpe.pk).update(cpe=cpe)
    return {
        "tower": tower,
        "pop": pop,
        "ap": ap,
        "sector": sector,
        "nas": nas,
        "router": router,
        "olt": olt,
        "cpe": cpe,
        "on_sector": on_sector,
        "on_nas": on_nas,
        "with_cpe": with_cpe,
        "elsewhere": elsewhere,
    }


def ids(rows: Any) -> set[int]:
    return {s.pk for s in rows}


def test_affected_subscriptions_per_scope_kind(tenant: Any, net: dict[str, Any]) -> None:
    find = selectors.affected_subscriptions
    assert ids(find(tenant, site=net["tower"])) == {net["on_sector"].pk}
    assert ids(find(tenant, sector=net["sector"])) == {net["on_sector"].pk}
    assert ids(find(tenant, nas=net["nas"])) == {net["on_nas"].pk}
    assert ids(find(tenant, site=net["pop"])) == {net["on_nas"].pk}
    # A device: the AP serves its sector, the router is the NAS, a CPE its subscriber.
    assert ids(find(tenant, device=net["ap"])) == {net["on_sector"].pk}
    assert ids(find(tenant, device=net["router"])) == {net["on_nas"].pk}
    assert ids(find(tenant, device=net["cpe"])) == {net["with_cpe"].pk}


def test_nas_outage_finds_open_radius_sessions_and_skips_ended_services(
    tenant: Any, net: dict[str, Any], make_subscription: Any
) -> None:
    roaming = make_subscription(tenant)
    RadAcct.objects.create(
        acctsessionid="s1",
        acctuniqueid="u1",
        username=roaming.username.upper(),
        nasipaddress="192.0.2.10",
        acctstarttime=T0,
    )
    assert ids(selectors.affected_subscriptions(tenant, nas=net["nas"])) == {
        net["on_nas"].pk,
        roaming.pk,
    }
    terminate(subscription=net["on_sector"], reason="moved away")
    assert ids(selectors.affected_subscriptions(tenant, sector=net["sector"])) == set()


def test_notices_at_start_and_end_by_email_and_sms(
    tenant: Any, net: dict[str, Any], smtp_server: Any, smsc: Any, commits: Any
) -> None:
    customer = net["on_sector"].customer
    customer.phone = "+27821234567"
    customer.save()
    with commits(execute=True):
        outage = services.declare_outage(
            tenant=tenant,
            sector=net["sector"],
            cause="power",
            description="Mains failure at the tower.",
            expected_end_at=clock.now() + dt.timedelta(hours=3),
        )
    assert outage.state == "active" and outage.affected_count == 1
    assert outage.number.startswith("OUT-") and outage.number.endswith("-0001")
    [start] = smtp_server.messages
    assert start["To"] == customer.email
    assert outage.number in start["Subject"]
    body = start.get_payload(decode=True).decode()
    assert "Mains failure at the tower." in body and net["on_sector"].username in body
    impact = OutageImpact.objects.get(outage=outage)
    assert impact.notified_start_at is not None and impact.notified_end_at is None

    with commits(execute=True):
        services.resolve_outage(outage=outage)
    assert len(smtp_server.messages) == 2
    assert "restored" in smtp_server.messages[1]["Subject"]
    texts = [json.loads(line) for line in smsc.read_text().splitlines()]
    assert [t["to"] for t in texts] == ["27821234567", "27821234567"]
    impact.refresh_from_db()
    assert impact.notified_end_at is not None


def test_notices_go_through_the_outbox_in_batches(
    tenant: Any, net: dict[str, Any], make_subscription: Any, monkeypatch: Any, mailoutbox: Any
) -> None:
    from ispstack.tickets.outages import jobs

    monkeypatch.setattr(jobs, "BATCH", 2)
    for _ in range(4):
        sub = make_subscription(tenant)
        Subscription.objects.filter(pk=sub.pk).update(sector=net["sector"])
    # Nothing is sent inside the declaring request's transaction.
    outage = services.declare_outage(tenant=tenant, sector=net["sector"], cause="fibre_cut")
    assert mailoutbox == []
    outbox.drain()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        OutageImpact.objects.filter(outage=outage).values_list("customer__email", flat=True)
    )
    assert len(mailoutbox) == 5
    outbox.drain()  # nothing more, nothing twice
    assert len(mailoutbox) == 5


def test_fault_ticket_grouped_under_the_outage_and_resolved_with_it(
    tenant: Any, net: dict[str, Any], make_staff: Any, mailoutbox: Any, commits: Any
) -> None:
    agent = make_staff(tenant, "support")
    team = Team.objects.create(tenant=tenant, name="NOC")
    TeamMember.objects.create(tenant=tenant, team=team, user=agent)
    customer = net["on_sector"].customer
    earlier = tickets.open_ticket(
        tenant=tenant,
        subject="No internet",
        ticket_type="technical_support",
        customer=customer,
        team=team,
    )
    outage = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
    earlier.refresh_from_db()
    assert earlier.outage_id == outage.pk and earlier.sla_due_at is None

    with commits(execute=True):
        report = tickets.open_ticket(
            tenant=tenant,
            subject="Down again",
            ticket_type="outage_report",
            customer=customer,
            team=team,
            source="portal",
        )
    assert report.outage_id == outage.pk
    assert report.assignee_id is None  # no one taken from the rotation
    assert (report.sla_due_at, report.first_response_due_at) == (None, None)
    assert any(report.number in m.subject and outage.number in m.subject for m in mailoutbox)
    # A billing question is not a fault: it keeps its SLA.
    bill = tickets.open_ticket(
        tenant=tenant, subject="Invoice", ticket_type="billing_issue", customer=customer
    )
    assert bill.outage_id is None and bill.sla_due_at is not None
    # Another customer's fault is not grouped.
    other = tickets.open_ticket(
        tenant=tenant,
        subject="Slow",
        ticket_type="speed_issue",
        customer=net["elsewhere"].customer,
    )
    assert other.outage_id is None
    # The grouped tickets never breach.
    scanned = scan_sla(now=clock.now() + dt.timedelta(days=30))
    assert report.pk not in scanned.breached + scanned.first_response_breached

    services.resolve_outage(outage=outage)
    assert set(Ticket.objects.filter(outage=outage).values_list("state", flat=True)) == {"resolved"}
    assert Ticket.objects.get(pk=bill.pk).state == "new"
    # Still down for this customer after the outage: reopened, it runs on its own SLA.
    again = tickets.change_state(ticket=report, state="in_progress", reason="still down")
    assert again.sla_due_at is not None


def test_grouped_reports_are_not_acknowledged_when_the_tenant_answers_in_person(
    tenant: Any, net: dict[str, Any], mailoutbox: Any, commits: Any
) -> None:
    from ispstack.tickets.configuration import save_settings

    save_settings(tenant=tenant, send_acknowledgements=False)
    outage = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
    mailoutbox.clear()
    with commits(execute=True):
        report = tickets.open_ticket(
            tenant=tenant,
            subject="Down again",
            ticket_type="outage_report",
            customer=net["on_sector"].customer,
            source="portal",
        )
    assert report.outage_id == outage.pk
    assert not [m for m in mailoutbox if report.number in m.subject]


def test_outage_minutes_counters_and_uptime(tenant: Any, net: dict[str, Any]) -> None:
    sub = net["on_sector"]
    with clock.simulated(T0):
        outage = services.declare_outage(tenant=tenant, site=net["tower"], cause="weather")
    with clock.simulated(T0 + dt.timedelta(hours=2, seconds=30)):
        services.resolve_outage(outage=outage)
    impact = OutageImpact.objects.get(outage=outage)
    assert impact.minutes == 121  # whole minutes, rounded up
    sub = Subscription.objects.get(pk=sub.pk)
    assert (sub.total_outages, sub.total_downtime_minutes) == (1, 121)
    assert sub.last_outage_date == dt.date(2026, 5, 4)
    # 7230 s down in 30 days: 100 x (1 - 7230 / 2592000) = 99.72 %.
    assert selectors.uptime_percent(sub, now=T0 + dt.timedelta(days=1)) == Decimal("99.72")
    # Out of the window: 100 %.
    assert selectors.uptime_percent(sub, now=T0 + dt.timedelta(days=40)) == Decimal("100.00")
    unaffected = Subscription.objects.get(pk=net["elsewhere"].pk)
    assert unaffected.total_outages == 0


def test_resolve_and_declare_are_idempotent(tenant: Any, net: dict[str, Any]) -> None:
    first = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
    again = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
    assert again.pk == first.pk and Outage.objects.count() == 1
    services.resolve_outage(outage=first)
    services.resolve_outage(outage=first)
    sub = Subscription.objects.get(pk=net["on_sector"].pk)
    assert sub.total_outages == 1


def test_planned_outage_begins_then_is_resolved_or_cancelled(
    tenant: Any, net: dict[str, Any]
) -> None:
    with clock.simulated(T0):
        planned = services.declare_outage(
            tenant=tenant,
            device=net["ap"],
            cause="maintenance",
            started_at=(T0 + dt.timedelta(days=1)).isoformat(),
            expected_end_at=T0 + dt.timedelta(days=1, hours=2),
        )
        assert planned.state == "planned"
        with pytest.raises(InvalidTransition):
            services.resolve_outage(outage=planned)
    with clock.simulated(T0 + dt.timedelta(days=1, minutes=1)):
        assert services.begin_due_outages() == [planned.pk]
        done = services.resolve_outage(outage=planned)
    assert done.state == "resolved"
    with clock.simulated(T0):
        other = services.declare_outage(
            tenant=tenant,
            device=net["cpe"],
            cause="maintenance",
            started_at=T0 + dt.timedelta(hours=5),
        )
        assert services.cancel_outage(outage=other).state == "cancelled"


def test_bad_input_names_the_field(tenant: Any, make_tenant: Any, net: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as none:
        services.declare_outage(tenant=tenant, cause="power")
    assert none.value.field == "scope"
    with pytest.raises(InvalidInput) as two:
        services.declare_outage(tenant=tenant, cause="power", site=net["tower"], nas=net["nas"])
    assert two.value.field in ("site", "nas")
    theirs = Site.objects.create(
        tenant=make_tenant(), kind="pop", name="X", slug="x", latitude=52, longitude=13
    )
    with pytest.raises(NotFound) as other:
        services.declare_outage(tenant=tenant, cause="power", site=theirs.pk)
    assert other.value.field == "site"
    with pytest.raises(InvalidInput) as cause:
        services.declare_outage(tenant=tenant, cause="aliens", site=net["tower"])
    assert cause.value.field == "cause"
    with pytest.raises(InvalidInput) as end:
        services.declare_outage(
            tenant=tenant,
            cause="power",
            site=net["tower"],
            expected_end_at=clock.now() - dt.timedelta(hours=1),
        )
    assert end.value.field == "expected_end_at"
    with pytest.raises(InvalidInput) as naive:
        services.declare_outage(
            tenant=tenant, cause="power", site=net["tower"], started_at="2026-05-01T10:00:00"
        )
    assert naive.value.field == "started_at"
    assert Outage.objects.count() == 0


def test_api_declare_resolve_roles_and_tenants(
    tenant: Any, make_tenant: Any, net: dict[str, Any], api_client_for: Any, mailoutbox: Any
) -> None:
    noc = api_client_for(tenant, "noc")
    created = noc.post(
        "/api/v1/outages/", {"sector": net["sector"].pk, "cause": "power"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["affected_count"] == 1 and body["state"] == "active"
    outage_id = body["id"]

    two = noc.post(
        "/api/v1/outages/",
        {"sector": net["sector"].pk, "site": net["tower"].pk, "cause": "power"},
        format="json",
    )
    assert two.status_code == 400 and two.json()["field"] in ("site", "sector")
    none = noc.post("/api/v1/outages/", {"cause": "power"}, format="json")
    assert none.status_code == 400 and none.json()["field"] == "scope"
    theirs = Site.objects.create(
        tenant=make_tenant(), kind="pop", name="Y", slug="y", latitude=52, longitude=13
    )
    foreign = noc.post("/api/v1/outages/", {"site": theirs.pk, "cause": "power"}, format="json")
    # Another tenant's id reads as unknown, as everywhere in the API: 404 naming the field.
    assert foreign.status_code == 404 and foreign.json()["field"] == "site"

    readonly = api_client_for(tenant, "billing")
    assert readonly.get("/api/v1/outages/").status_code == 200
    denied = readonly.post("/api/v1/outages/", {"sector": net["sector"].pk, "cause": "power"})
    assert denied.status_code == 403

    stranger = api_client_for(make_tenant(), "admin")
    assert stranger.get(f"/api/v1/outages/{outage_id}/").status_code == 404
    assert stranger.post(f"/api/v1/outages/{outage_id}/resolve/", {}).status_code == 404

    support = api_client_for(tenant, "support")
    resolved = support.post(f"/api/v1/outages/{outage_id}/resolve/", {}, format="json")
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    impacts = support.get(f"/api/v1/outages/{outage_id}/impacts/")
    assert impacts.status_code == 200
    assert impacts.json()[0]["subscription"] == net["on_sector"].pk


def test_console_outage_pages_banners_and_query_bound(
    tenant: Any,
    net: dict[str, Any],
    make_staff: Any,
    make_subscription: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(10):
        sub = make_subscription(tenant)
        Subscription.objects.filter(pk=sub.pk).update(sector=net["sector"])
    agent = make_staff(tenant, "support")
    client = Client()
    client.force_login(agent)
    page = client.post(
        "/staff/outages/new/",
        {
            "scope_kind": "sector",
            "sector": net["sector"].pk,
            "cause": "fibre_cut",
            "description": "Cable cut by roadworks",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    outage = Outage.objects.get()
    customer = net["on_sector"].customer
    tickets.open_ticket(
        tenant=tenant, subject="Down", ticket_type="outage_report", customer=customer
    )
    with django_assert_max_num_queries(15):
        detail = client.get(f"/staff/outages/{outage.pk}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert outage.number in html and "Cable cut by roadworks" in html and "11" in html
    with django_assert_max_num_queries(12):
        listing = client.get("/staff/outages/")
    assert outage.number in listing.content.decode()
    c360 = client.get(f"/staff/customers/{customer.pk}/").content.decode()
    assert outage.number in c360 and "Uptime (30 days)" in c360
    assert outage.number in client.get("/staff/helpdesk/").content.decode()

    done = client.post(f"/staff/outages/{outage.pk}/resolve/", {})
    assert done.status_code == 302
    outage.refresh_from_db()
    assert outage.state == "resolved"


def test_console_billing_sees_outages_but_cannot_declare(
    tenant: Any, make_staff: Any, net: dict[str, Any]
) -> None:
    viewer = make_staff(tenant, "billing")
    client = Client()
    client.force_login(viewer)
    assert client.get("/staff/outages/").status_code == 200
    denied = client.post(
        "/staff/outages/new/",
        {"scope_kind": "sector", "sector": net["sector"].pk, "cause": "power"},
    )
    assert denied.status_code == 403
    assert Outage.objects.count() == 0


def test_planned_maintenance_does_not_swallow_a_failure_now(
    tenant: Any, net: dict[str, Any]
) -> None:
    with clock.simulated(T0):
        planned = services.declare_outage(
            tenant=tenant,
            sector=net["sector"],
            cause="maintenance",
            started_at=T0 + dt.timedelta(days=20),
        )
        failure = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
        again = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
    assert failure.pk != planned.pk and failure.state == "active"
    assert again.pk == failure.pk
    assert OutageImpact.objects.filter(outage=failure).count() == 1


def test_a_cancelled_planned_outage_costs_no_uptime(tenant: Any, net: dict[str, Any]) -> None:
    sub = net["on_sector"]
    with clock.simulated(T0):
        planned = services.declare_outage(
            tenant=tenant,
            sector=net["sector"],
            cause="maintenance",
            started_at=T0 + dt.timedelta(hours=5),
        )
        services.cancel_outage(outage=planned)
    # A week later the planned start has long passed, but nothing happened.
    assert selectors.uptime_percent(sub, now=T0 + dt.timedelta(days=7)) == Decimal("100.00")
    with clock.simulated(T0 + dt.timedelta(days=1)):
        assert services.begin_due_outages() == []


def test_queued_start_notices_stop_once_the_outage_is_over(
    tenant: Any, net: dict[str, Any], mailoutbox: Any
) -> None:
    with clock.simulated(T0):
        outage = services.declare_outage(tenant=tenant, sector=net["sector"], cause="power")
        services.resolve_outage(outage=outage)
        mailoutbox.clear()
        job = outbox.enqueue(
            tenant=tenant.pk,
            kind=services.NOTICE_JOB,
            payload={"outage_id": outage.pk, "phase": "start"},
            defer_inline=True,
        )
        from ispstack.tickets.outages.jobs import send_outage_notice

        send_outage_notice(job)
    assert mailoutbox == []
