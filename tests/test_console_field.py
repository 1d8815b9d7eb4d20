"""Field service in the staff console: a technician's "My day" (visits in
order, customer, address, OpenStreetMap link, phone, en route / on site /
complete), the dispatchers' week calendar per team; permissions, another
tenant's visits (404), bounded queries, and both pages in Chromium with
axe-core."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ispstack.core import clock
from ispstack.tickets.field import services
from ispstack.tickets.models import Appointment, Team, TeamMember, Ticket
from tests.console_browser import log_in, serious_violations

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
_n = itertools.count(1)


def _monday(tenant: Any) -> dt.date:
    day = clock.today(tenant) + dt.timedelta(days=7)
    return day - dt.timedelta(days=day.weekday())


def _at(tenant: Any, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(tenant.timezone)).astimezone(
        dt.UTC
    )


def field_world(make_tenant, make_staff, make_customer) -> Any:
    tenant, other = make_tenant(name="Alpha Net"), make_tenant(name="Beta Net")
    worker = make_staff(tenant, "technician", first_name="Ada", last_name="Field")
    tech = services.save_technician(
        tenant=tenant, actor=None, user=worker, skills=["cpe_install"], phone="+4930111"
    )
    outsider = make_staff(other, "technician")
    services.save_technician(tenant=other, actor=None, user=outsider)
    day = _monday(tenant)
    visits = []
    for hour, name in ((13, "Later Customer"), (9, "Early Customer")):
        customer = make_customer(
            tenant,
            name=name,
            phone="+4930999000",
            service_address_line1=f"{name} Str. 1",
            service_city="Berlin",
            service_latitude="52.500000",
            service_longitude="13.400000",
        )
        visits.append(
            services.book_appointment(
                tenant=tenant,
                actor=None,
                kind="installation",
                customer=customer,
                starts_at=_at(tenant, day, hour),
            )
        )
    theirs = services.book_appointment(
        tenant=other,
        actor=None,
        kind="repair",
        customer=make_customer(other, name="Stranger"),
        starts_at=_at(other, _monday(other), 9),
    )
    team = Team.objects.create(tenant=tenant, name="Field operations")
    TeamMember.objects.create(tenant=tenant, team=team, user=worker)
    return tenant, other, tech, worker, day, visits, theirs, team


@pytest.fixture
def world(make_tenant, make_staff, make_customer):
    return field_world(make_tenant, make_staff, make_customer)


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_my_day_lists_the_visits_in_order_with_map_links(world, django_assert_max_num_queries):
    tenant, _other, _tech, worker, day, visits, theirs, _team = world
    client = client_of(worker)
    with django_assert_max_num_queries(12):
        page = client.get(f"/staff/field/my-day/?date={day}")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Early Customer") < html.index("Later Customer")
    assert "09:00–12:00" in html
    assert "https://www.openstreetmap.org/?mlat=52.500000&amp;mlon=13.400000" in html
    assert 'href="tel:+4930999000"' in html
    assert "Early Customer Str. 1, Berlin" in html
    assert visits[0].ticket.number in html
    assert "Stranger" not in html
    assert 'value="set_out"' in html
    # No map assets: a plain link, no script or tiles.
    assert "<script" not in html.replace("htmx", "").split("<main")[1]


@pytest.mark.django_db
def test_a_technician_moves_and_completes_their_visit(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant, _other, _tech, worker, day, visits, _theirs, _team = world
    client = client_of(worker)
    visit = visits[1]
    for action in ("set_out", "arrive"):
        response = client.post(
            f"/staff/field/appointments/{visit.pk}/transition/", {"action": action}
        )
        assert response.status_code == 302
    page = client.get(f"/staff/field/my-day/?date={day}").content.decode()
    assert 'enctype="multipart/form-data"' in page
    refused = client.post(
        f"/staff/field/appointments/{visit.pk}/complete/",
        {"notes": "x", "photos": [SimpleUploadedFile("a.jpg", b"MZ not an image")]},
        follow=True,
    )
    assert "photos:" in refused.content.decode()
    assert Appointment.objects.get(pk=visit.pk).state == "on_site"
    done = client.post(
        f"/staff/field/appointments/{visit.pk}/complete/",
        {
            "notes": "ONU mounted",
            "serials": "ZTEG0001\nZTEG0002\n",
            "photos": [SimpleUploadedFile("a.jpg", JPEG)],
        },
        follow=True,
    )
    assert "Visit completed." in done.content.decode()
    visit = Appointment.objects.get(pk=visit.pk)
    assert visit.state == "completed"
    assert visit.serials == ["ZTEG0001", "ZTEG0002"]
    assert visit.photos.count() == 1
    assert Ticket.objects.get(pk=visit.ticket_id).state == "resolved"


@pytest.mark.django_db
def test_other_tenants_and_other_technicians_visits(world, make_staff):
    tenant, _other, tech, _worker, day, visits, theirs, _team = world
    admin = client_of(make_staff(tenant, "admin"))
    assert (
        admin.post(
            f"/staff/field/appointments/{theirs.pk}/transition/", {"action": "cancel"}
        ).status_code
        == 404
    )
    assert admin.get(f"/staff/field/my-day/?technician={theirs.technician_id}").status_code == 404
    colleague = make_staff(tenant, "technician")
    services.save_technician(tenant=tenant, actor=None, user=colleague)
    other_hands = client_of(colleague)
    response = other_hands.post(
        f"/staff/field/appointments/{visits[0].pk}/transition/", {"action": "set_out"}
    )
    assert response.status_code == 403
    # Colleagues may read each other's day (to swap visits), not act on it.
    theirs_page = other_hands.get(f"/staff/field/my-day/?technician={tech.pk}&date={day}")
    assert "Early Customer" in theirs_page.content.decode()
    assert 'value="set_out"' not in theirs_page.content.decode()
    support = client_of(make_staff(tenant, "support"))
    assert support.get(f"/staff/field/my-day/?technician={tech.pk}").status_code == 200
    assert client_of(make_staff(tenant, "billing")).get("/staff/field/my-day/").status_code == 403
    # A dispatcher (admin) opens a technician's day and may act on it.
    page = admin.get(f"/staff/field/my-day/?technician={tech.pk}&date={day}")
    assert "Early Customer" in page.content.decode()
    assert (
        admin.post(
            f"/staff/field/appointments/{visits[0].pk}/transition/", {"action": "cancel"}
        ).status_code
        == 302
    )
    assert Appointment.objects.get(pk=visits[0].pk).state == "cancelled"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("billing", 403), ("noc", 403), ("support", 200)])
def test_calendar_access_by_role(world, make_staff, role, status):
    tenant = world[0]
    assert client_of(make_staff(tenant, role)).get("/staff/field/calendar/").status_code == status


@pytest.mark.django_db
def test_calendar_shows_technicians_by_days_for_a_team(
    world, make_staff, django_assert_max_num_queries
):
    tenant, _other, tech, _worker, day, _visits, _theirs, team = world
    services.save_technician(
        tenant=tenant, actor=None, user=make_staff(tenant, "", first_name="Bo")
    )
    client = client_of(make_staff(tenant, "support"))
    with django_assert_max_num_queries(14):
        page = client.get(f"/staff/field/calendar/?team={team.pk}&date={day}")
    html = page.content.decode()
    assert "Ada Field" in html and ">Bo<" not in html
    assert "09:00 Installation" in html and "13:00 Installation" in html
    everyone = client.get(f"/staff/field/calendar/?date={day}").content.decode()
    assert "Bo</a>" in everyone
    assert client.get("/staff/field/calendar/?team=999999").status_code == 404
    assert client.get("/staff/field/calendar/?date=garbage").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_my_day_and_calendar_pass_axe(
    live_server, chromium, make_tenant, make_staff, make_customer
):
    tenant, _other, _tech, worker, day, visits, _theirs, team = field_world(
        make_tenant, make_staff, make_customer
    )
    services.transition_appointment(appointment=visits[1], actor=None, action="set_out")
    services.transition_appointment(appointment=visits[1], actor=None, action="arrive")
    dispatcher = make_staff(tenant, "admin")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, worker)
        page.goto(f"{live_server.url}/staff/field/my-day/?date={day}")
        assert "Early Customer" in page.inner_text("main")
        assert serious_violations(page) == []
        page.click("text=Log out")
        log_in(page, live_server.url, dispatcher)
        page.goto(f"{live_server.url}/staff/field/calendar/?team={team.pk}&date={day}")
        assert "Ada Field" in page.inner_text("main")
        assert serious_violations(page) == []
    finally:
        page.close()
