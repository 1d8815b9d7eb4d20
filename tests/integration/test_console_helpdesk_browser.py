"""The helpdesk queue, the ticket page, the outage pages and the outage
banner of a customer's page in Debian's Chromium: no serious or critical
axe-core violation."""

from __future__ import annotations

import pytest

from ispstack.tickets import services
from ispstack.tickets.models import Team, TeamMember
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_helpdesk_pages_pass_axe(live_server, chromium, make_tenant, make_staff, make_customer):
    tenant = make_tenant(name="Alpha Net")
    agent = make_staff(tenant, "support")
    team = Team.objects.create(tenant=tenant, name="Support")
    TeamMember.objects.create(tenant=tenant, team=team, user=agent)
    customer = make_customer(tenant, name="Ada Lovelace")
    ticket = services.open_ticket(
        tenant=tenant, subject="Slow evenings", customer=customer, team=team, priority="high"
    )
    services.add_message(ticket=ticket, body="Which router?", actor=agent)
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, agent)
        for path, shows in (
            (f"/staff/helpdesk/?team={team.pk}", ticket.number),
            (f"/staff/helpdesk/tickets/{ticket.pk}/", "Which router?"),
            ("/staff/helpdesk/new/", "Open ticket"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert shows in page.content(), path
            assert serious_violations(page) == [], path
    finally:
        page.close()


def test_outage_pages_and_the_banner_pass_axe(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    from ispstack.network.models import Sector, Site
    from ispstack.subscriptions.models import Subscription
    from ispstack.tickets.outages.services import declare_outage

    tenant = make_tenant(name="Alpha Net")
    noc = make_staff(tenant, "admin")
    tower = Site.objects.create(
        tenant=tenant, kind="tower", name="Hill", slug="hill", latitude=52, longitude=13
    )
    sector = Sector.objects.create(tenant=tenant, site=tower, name="North", azimuth=0)
    sub = make_subscription(tenant)
    Subscription.objects.filter(pk=sub.pk).update(sector=sector)
    outage = declare_outage(tenant=tenant, sector=sector, cause="power")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, noc)
        for path, shows in (
            ("/staff/outages/", outage.number),
            ("/staff/outages/new/", "Declare"),
            (f"/staff/outages/{outage.pk}/", "North"),
            (f"/staff/customers/{sub.customer_id}/", outage.number),
        ):
            page.goto(f"{live_server.url}{path}")
            assert shows in page.content(), path
            assert serious_violations(page) == [], path
    finally:
        page.close()
