"""Support in the customer portal (/my/<tenant>/tickets/): a customer opens a
ticket (source portal, in the staff queue), reads the public replies only
(never an internal note), answers (resuming a ticket waiting on them,
reopening a resolved one within the window, a follow-up after it), with
attachments held to the tenant's size and type limits before anything is
written; another customer's or tenant's ticket answers 404. The outage
banner on the dashboard and the service page shows the open outages that
hit the customer's services, and only those."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ispstack.core import clock
from ispstack.network.models import Sector, Site
from ispstack.portal.services import create_login
from ispstack.subscriptions.models import Subscription
from ispstack.tickets import services as tickets
from ispstack.tickets.choices import MessageKind, TicketSource, TicketState
from ispstack.tickets.models import Attachment, Ticket, TicketMessage
from ispstack.tickets.outages.services import declare_outage
from ispstack.tickets.selectors import queue, settings_for
from tests.portal_browser import sign_in

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pass-2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _login(client: Client, tenant: Any, email: str) -> Client:
    answer = client.post(f"/my/{tenant.slug}/login/", {"login": email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


@pytest.fixture
def people(tenant, make_tenant, make_customer, make_subscription) -> dict[str, Any]:
    """Ours (two services, a portal login), a neighbour of the same tenant
    (a service, a login) and a customer of another tenant with a ticket."""
    ours = make_customer(tenant, name="Thandi Mokoena")
    neighbour = make_customer(tenant, name="Neighbour")
    other_tenant = make_tenant(slug="othernet", name="Other Net")
    foreign = make_customer(other_tenant, name="Foreign")
    subs = [make_subscription(tenant, customer=ours), make_subscription(tenant, customer=ours)]
    their_sub = make_subscription(tenant, customer=neighbour)
    create_login(customer=ours, email="thandi@example.net", password=PASSWORD)
    create_login(customer=neighbour, email="neighbour@example.net", password=PASSWORD)
    return {
        "ours": ours,
        "subs": subs,
        "neighbour": neighbour,
        "their_sub": their_sub,
        "their_ticket": tickets.open_ticket(
            tenant=tenant, subject="Neighbour's own", customer=neighbour
        ),
        "foreign_ticket": tickets.open_ticket(
            tenant=other_tenant, subject="Foreign one", customer=foreign
        ),
    }


@pytest.fixture
def portal(client: Client, tenant, people) -> Client:
    return _login(client, tenant, "thandi@example.net")


def _base(tenant: Any) -> str:
    return f"/my/{tenant.slug}"


def _open(portal: Client, tenant: Any, **fields: Any) -> Any:
    data = {
        "ticket_type": "technical_support",
        "subject": "No internet since this morning",
        "description": "The router's light is red.",
        "subscription": "",
        **fields,
    }
    return portal.post(f"{_base(tenant)}/tickets/new/", data)


def test_a_ticket_opened_in_the_portal_reaches_the_staff_queue(portal, tenant, people):
    page = portal.get(f"{_base(tenant)}/tickets/new/").content.decode()
    # Only the topics a customer may open, and only their own services.
    assert "Technical support" in page and "Service upgrade" not in page
    assert people["subs"][0].username in page and people["their_sub"].username not in page

    answer = _open(portal, tenant, subscription=str(people["subs"][1].pk))
    ticket = Ticket.objects.get(customer=people["ours"])
    assert answer.status_code == 302
    assert answer["Location"] == f"{_base(tenant)}/tickets/{ticket.pk}/"
    assert ticket.source == TicketSource.PORTAL
    assert (ticket.subscription_id, ticket.state) == (people["subs"][1].pk, TicketState.NEW)
    assert ticket.description == "The router's light is red."
    assert ticket in queue(tenant)  # staff see it in their queue

    listing = portal.get(f"{_base(tenant)}/tickets/").content.decode()
    assert ticket.number in listing and "No internet since this morning" in listing
    assert "New" in listing and people["their_ticket"].subject not in listing
    detail = portal.get(answer["Location"]).content.decode()
    assert ticket.number in detail and "The router&#x27;s light is red." in detail


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"ticket_type": "service_upgrade"}, "ticket_type", "choose one of the listed topics"),
        ({"subject": "  "}, "subject", "is required"),
        ({"description": ""}, "description", "is required"),
    ],
)
def test_a_bad_field_answers_400_naming_it_and_opens_nothing(
    portal, tenant, people, fields, field, text
):
    answer = _open(portal, tenant, **fields)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert f'id="{field}-error"' in page and text in page
    assert not Ticket.objects.filter(customer=people["ours"]).exists()


def test_another_customers_service_cannot_be_named(portal, tenant, people):
    answer = _open(portal, tenant, subscription=str(people["their_sub"].pk))
    assert answer.status_code == 400
    assert "is not one of your services" in answer.content.decode()
    assert _open(portal, tenant, subscription="x").status_code == 400
    assert not Ticket.objects.filter(customer=people["ours"]).exists()


def test_the_customer_sees_public_replies_never_internal_notes(portal, tenant, people, make_staff):
    _open(portal, tenant)
    ticket = Ticket.objects.get(customer=people["ours"])
    staff = make_staff(tenant)
    tickets.add_message(ticket=ticket, body="Please restart the router.", actor=staff)
    tickets.add_message(
        ticket=ticket, body="Secret: line flaps at the cabinet", kind=MessageKind.NOTE, actor=staff
    )
    tickets.add_attachment(
        ticket=ticket,
        upload=SimpleUploadedFile("cabinet-photo.png", PNG, "image/png"),
        message=TicketMessage.objects.get(kind=MessageKind.NOTE),
        actor=staff,
    )
    page = portal.get(f"{_base(tenant)}/tickets/{ticket.pk}/").content.decode()
    assert "Please restart the router." in page and f"{tenant.name} support wrote" in page
    assert "Secret" not in page and "line flaps" not in page
    assert "cabinet-photo.png" not in page


def test_a_reply_is_stored_and_answers_a_ticket_waiting_on_the_customer(
    portal, tenant, people, make_staff
):
    _open(portal, tenant)
    ticket = Ticket.objects.get(customer=people["ours"])
    tickets.add_message(ticket=ticket, body="Which light is red?", actor=make_staff(tenant))
    tickets.change_state(ticket=ticket, state=TicketState.WAITING_ON_CUSTOMER)
    path = f"{_base(tenant)}/tickets/{ticket.pk}/"
    assert "We are waiting for your answer." in portal.get(path).content.decode()

    answer = portal.post(
        path, {"body": "The LOS light.", "file": SimpleUploadedFile("led.png", PNG, "image/png")}
    )
    assert (answer.status_code, answer["Location"]) == (302, path)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS
    message = TicketMessage.objects.get(ticket=ticket, body="The LOS light.")
    assert (message.kind, message.author_email) == (MessageKind.REPLY, "thandi@example.net")
    [attachment] = Attachment.objects.filter(message=message)
    assert (attachment.filename, attachment.content_type) == ("led.png", "image/png")
    page = portal.get(path).content.decode()
    assert "The LOS light." in page and "led.png" in page
    empty = portal.post(path, {"body": "  "})
    assert empty.status_code == 400 and 'id="body-error"' in empty.content.decode()


def test_a_reply_reopens_a_resolved_ticket_within_the_window_then_follows_up(
    portal, tenant, people
):
    _open(portal, tenant)
    ticket = Ticket.objects.get(customer=people["ours"])
    tickets.change_state(ticket=ticket, state=TicketState.RESOLVED)
    path = f"{_base(tenant)}/tickets/{ticket.pk}/"
    assert portal.post(path, {"body": "Still down."})["Location"] == path
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS

    tickets.change_state(ticket=ticket, state=TicketState.RESOLVED)
    window = settings_for(tenant).reopen_days
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=clock.now() - dt.timedelta(days=window + 1)
    )
    answer = portal.post(path, {"body": "Down again after a month."})
    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert answer["Location"] == f"{_base(tenant)}/tickets/{follow_up.pk}/"
    assert follow_up.customer_id == people["ours"].pk
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.RESOLVED
    assert ticket.number in portal.get(answer["Location"]).content.decode()


def _stored_files(settings: Any) -> list[str]:
    found = []
    for _root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found.extend(files)
    return found


def test_an_attachment_too_large_or_of_a_wrong_type_is_refused_and_nothing_written(
    portal, tenant, people, settings
):
    conf = settings_for(tenant)
    conf.max_attachment_bytes = 1024
    conf.save()
    big = SimpleUploadedFile("log.txt", b"a" * 2048, "text/plain")
    answer = portal.post(
        f"{_base(tenant)}/tickets/new/",
        {
            "ticket_type": "technical_support",
            "subject": "Slow",
            "description": "See the log",
            "file": big,
        },
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'id="file-error"' in page and "the largest file we accept is 1\xa0kB" in page
    # The rest of the form is kept.
    assert 'value="Slow"' in page and "See the log" in page
    assert not Ticket.objects.filter(customer=people["ours"]).exists()
    assert not Attachment.objects.exists() and _stored_files(settings) == []

    _open(portal, tenant)
    ticket = Ticket.objects.get(customer=people["ours"])
    program = SimpleUploadedFile("photo.png", b"MZ\x90\x00\x03binary", "image/png")
    refused = portal.post(f"{_base(tenant)}/tickets/{ticket.pk}/", {"body": "x", "file": program})
    assert refused.status_code == 400
    assert "application/octet-stream, which is not allowed" in refused.content.decode()
    assert not TicketMessage.objects.filter(ticket=ticket).exists()
    assert not Attachment.objects.exists() and _stored_files(settings) == []


def test_another_customers_or_tenants_ticket_answers_404(portal, tenant, people):
    for other in (people["their_ticket"], people["foreign_ticket"]):
        path = f"{_base(tenant)}/tickets/{other.pk}/"
        assert portal.get(path).status_code == 404
        assert portal.post(path, {"body": "let me in"}).status_code == 404
        assert not TicketMessage.objects.filter(ticket=other).exists()
    assert portal.get(f"{_base(tenant)}/tickets/999999/").status_code == 404


def test_signed_out_the_support_pages_ask_to_sign_in(client, tenant, people):
    for path in ("/tickets/", "/tickets/new/", f"/tickets/{people['their_ticket'].pk}/"):
        answer = client.get(f"{_base(tenant)}{path}")
        assert answer.status_code == 302 and "/login/" in answer["Location"]


# The outage banner.


@pytest.fixture
def outage(tenant, people) -> Any:
    """An active outage of a sector serving our first service only, with a
    restoration time."""
    tower = Site.objects.create(
        tenant=tenant, kind="tower", name="Hill", slug="hill", latitude=52, longitude=13
    )
    sector = Sector.objects.create(tenant=tenant, site=tower, name="North", azimuth=0)
    Subscription.objects.filter(pk=people["subs"][0].pk).update(sector=sector)
    return declare_outage(
        tenant=tenant,
        sector=sector,
        cause="fibre_cut",
        description="A fibre was cut by road works.",
        expected_end_at=clock.now() + dt.timedelta(hours=3),
        notify_customers=False,
    )


def test_the_outage_banner_shows_to_affected_customers_only(client, portal, tenant, people, outage):
    dashboard = portal.get(f"{_base(tenant)}/").content.decode()
    assert "Service interruptions affecting you" in dashboard
    assert outage.number in dashboard and "A fibre was cut by road works." in dashboard
    assert "Expected restoration:" in dashboard
    hit = portal.get(f"{_base(tenant)}/services/{people['subs'][0].pk}/").content.decode()
    assert outage.number in hit and "Expected restoration:" in hit
    spared = portal.get(f"{_base(tenant)}/services/{people['subs'][1].pk}/").content.decode()
    assert outage.number not in spared

    neighbour = _login(Client(), tenant, "neighbour@example.net")
    theirs = neighbour.get(f"{_base(tenant)}/").content.decode()
    assert "Hello, Neighbour" in theirs
    assert outage.number not in theirs and "Service interruptions" not in theirs


def test_an_outage_without_a_restoration_time_says_so_and_a_resolved_one_goes(
    portal, tenant, people, outage
):
    from ispstack.tickets.outages.services import resolve_outage

    type(outage).objects.filter(pk=outage.pk).update(expected_end_at=None)
    page = portal.get(f"{_base(tenant)}/").content.decode()
    assert "We do not know yet when service will be back" in page
    resolve_outage(outage=outage)
    assert outage.number not in portal.get(f"{_base(tenant)}/").content.decode()


# In a browser, on a desktop, with axe-core; then the pages on a phone.


@pytest.mark.django_db(transaction=True)
def test_in_a_browser_open_a_ticket_and_read_it(live_server, chromium, tenant, people):
    from tests.console_browser import serious_violations

    base = f"{live_server.url}{_base(tenant)}"
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/login/")
        sign_in(page, base, "thandi@example.net", PASSWORD)
        page.click("nav.tabs >> text=Support")
        page.wait_for_url(f"{base}/tickets/")
        assert serious_violations(page) == []
        page.click("text=Open a ticket")
        page.wait_for_url(f"{base}/tickets/new/")
        assert serious_violations(page) == []
        page.select_option("#id_ticket_type", "speed_issue")
        page.fill("#id_subject", "Slow in the evening")
        page.fill("#id_description", "Only 3 Mbit/s after 8 pm.")
        page.select_option("#id_subscription", str(people["subs"][0].pk))
        page.set_input_files(
            "#id_file", files=[{"name": "speedtest.png", "mimeType": "image/png", "buffer": PNG}]
        )
        page.click("text=Send the ticket")
        page.wait_for_url(f"{base}/tickets/*/")
        ticket = Ticket.objects.get(customer=people["ours"])
        main = page.inner_text("main")
        assert ticket.number in main and "Slow in the evening" in main
        assert "speedtest.png" in main and "Speed issue" in main
        assert serious_violations(page) == []
        assert ticket.source == TicketSource.PORTAL
        # The same pages on a phone (390 px): nothing wider than the screen.
        page.set_viewport_size({"width": 390, "height": 844})
        for path in (
            "/tickets/",
            "/tickets/new/",
            f"/tickets/{ticket.pk}/",
            "/profile/",
            "/notifications/",
        ):
            page.goto(f"{base}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            assert serious_violations(page) == [], path
    finally:
        context.close()
