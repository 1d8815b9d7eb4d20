"""The helpdesk in the console: queues with the SLA countdown, my tickets,
the ticket page with the customer's context and its actions, the new-ticket
form; roles and tenant scoping; bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ispstack.core import clock
from ispstack.tickets import services
from ispstack.tickets.models import Team, TeamMember, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(tenant: Any, make_staff: Any, make_customer: Any) -> Any:
    agent = make_staff(tenant, "support")
    team = Team.objects.create(tenant=tenant, name="Support")
    TeamMember.objects.create(tenant=tenant, team=team, user=agent)
    customer = make_customer(tenant, name="Ada Lovelace")
    client = Client()
    client.force_login(agent)
    return {"agent": agent, "team": team, "customer": customer, "client": client}


def test_queue_shows_countdown_and_overdue_in_red(
    tenant: Any, desk: Any, django_assert_max_num_queries: Any
) -> None:
    # Opened ten business days ago with an 8-hour target: overdue.
    with clock.simulated(clock.now() - dt.timedelta(days=14)):
        late = services.open_ticket(
            tenant=tenant, subject="Fibre cut", priority="urgent", team=desk["team"]
        )
    fresh = services.open_ticket(
        tenant=tenant, subject="Slow wifi", customer=desk["customer"], team=desk["team"]
    )
    for i in range(10):
        services.open_ticket(tenant=tenant, subject=f"Other {i}", team=desk["team"])
    with django_assert_max_num_queries(15):
        response = desk["client"].get(f"/staff/helpdesk/?team={desk['team'].pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert late.number in html and fresh.number in html
    assert 'class="sla-overdue"' in html
    assert html.index(late.number) < html.index(fresh.number)  # most urgent first
    assert "style=" not in html


def test_my_tickets_and_ticket_page_actions(tenant: Any, desk: Any) -> None:
    client = desk["client"]
    ticket = services.open_ticket(
        tenant=tenant, subject="No sync", customer=desk["customer"], team=desk["team"]
    )
    assert ticket.assignee_id == desk["agent"].pk
    assert ticket.number in client.get("/staff/helpdesk/mine/").content.decode()

    page = client.get(f"/staff/helpdesk/tickets/{ticket.pk}/").content.decode()
    assert f"/staff/customers/{desk['customer'].pk}/" in page
    assert desk["customer"].account_number in page

    base = f"/staff/helpdesk/tickets/{ticket.pk}/"
    client.post(base + "reply/", {"body": "Please reboot", "kind": "reply"})
    client.post(base + "note/", {"body": "Checked OLT", "kind": "note"})
    client.post(base + "state/", {"state": "waiting_on_customer"})
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    client.post(base + "attach/", {"file": png})
    ticket.refresh_from_db()
    assert ticket.state == "waiting_on_customer" and ticket.first_response_at
    assert ticket.messages.count() == 2 and ticket.attachments.count() == 1
    attachment = ticket.attachments.get()
    download = client.get(f"/staff/helpdesk/attachments/{attachment.pk}/")
    assert download.status_code == 200
    # A refused move comes back as a message, not an error page.
    refused = client.post(base + "state/", {"state": "closed"}, follow=True)
    assert refused.status_code == 200 and "cannot become closed" in refused.content.decode()


def test_new_ticket_form(tenant: Any, desk: Any) -> None:
    client = desk["client"]
    form = client.get(f"/staff/helpdesk/new/?customer={desk['customer'].pk}").content.decode()
    assert desk["customer"].account_number in form
    response = client.post(
        "/staff/helpdesk/new/",
        {
            "subject": "Router dead",
            "customer": desk["customer"].account_number,
            "ticket_type": "equipment_issue",
            "priority": "high",
            "device_serials": "SN1, SN2",
        },
    )
    ticket = Ticket.objects.get(subject="Router dead")
    assert response.status_code == 302
    assert (ticket.customer_id, ticket.device_serials) == (desk["customer"].pk, ["SN1", "SN2"])
    unknown = client.post(
        "/staff/helpdesk/new/",
        {"subject": "x", "customer": "NOPE-1", "ticket_type": "general_inquiry", "priority": "low"},
    )
    assert unknown.status_code == 200 and "No customer has this account number" in (
        unknown.content.decode()
    )


def test_other_tenants_ticket_is_404_and_billing_cannot_move(
    tenant: Any, desk: Any, make_tenant: Any, make_staff: Any
) -> None:
    other = services.open_ticket(tenant=make_tenant(), subject="theirs")
    assert desk["client"].get(f"/staff/helpdesk/tickets/{other.pk}/").status_code == 404
    ticket = services.open_ticket(tenant=tenant, subject="Invoice wrong")
    clerk = Client()
    clerk.force_login(make_staff(tenant, "billing"))
    assert clerk.get(f"/staff/helpdesk/tickets/{ticket.pk}/").status_code == 200
    moved = clerk.post(f"/staff/helpdesk/tickets/{ticket.pk}/state/", {"state": "resolved"})
    assert moved.status_code == 403


def test_ticket_page_offers_every_teams_canned_responses_and_its_own_teams(
    tenant: Any, desk: Any
) -> None:
    other = Team.objects.create(tenant=tenant, name="NOC")
    services.save_canned_response(tenant=tenant, title="For everyone", body="Hello")
    services.save_canned_response(tenant=tenant, title="Support only", body="Hi", team=desk["team"])
    services.save_canned_response(tenant=tenant, title="NOC only", body="Yo", team=other)
    ticket = services.open_ticket(
        tenant=tenant, subject="Slow", customer=desk["customer"], team=desk["team"]
    )
    page = desk["client"].get(f"/staff/helpdesk/tickets/{ticket.pk}/").content.decode()
    assert "For everyone" in page and "Support only" in page
    assert "NOC only" not in page
