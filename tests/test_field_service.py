"""Field service: technicians, booking with auto-assignment (skills, service
area, working hours, time off, calendar, max jobs per day; nearest first,
then least loaded), suggested slots when nobody fits, no double booking
under concurrent bookings, transitions, completion (photos, serials, the
installation event) and the API, tenant scoped."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.core import clock, events
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.tickets import services as tickets
from ispstack.tickets.field import scheduling, services
from ispstack.tickets.field.events import InstallationCompleted
from ispstack.tickets.field.services import NoTechnicianAvailable
from ispstack.tickets.models import Appointment, AppointmentPhoto, Technician, Ticket
from ispstack.tickets.selectors import settings_for

pytestmark = pytest.mark.django_db

BERLIN = (52.5200, 13.4050)
POTSDAM = (52.3906, 13.0645)
JOB = (52.5000, 13.4000)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
_n = itertools.count(1)


def monday(tenant: Any, weeks: int = 1) -> dt.date:
    """A Monday at least ``weeks`` weeks after the tenant's today."""
    day = clock.today(tenant) + dt.timedelta(days=7 * weeks)
    return day - dt.timedelta(days=day.weekday())


def at(tenant: Any, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(tenant.timezone))
    return local.astimezone(dt.UTC)


@pytest.fixture
def make_tech(make_staff):
    def make(tenant: Any, *, home: tuple[float, float] = BERLIN, **values: Any) -> Technician:
        values.setdefault("skills", ["cpe_install", "fibre_splicing", "wireless_alignment"])
        values.setdefault("service_radius_km", 60)
        values.setdefault("home_latitude", home[0])
        values.setdefault("home_longitude", home[1])
        return services.save_technician(
            tenant=tenant,
            actor=None,
            user=make_staff(tenant, "technician", first_name=f"Tech{next(_n)}"),
            **values,
        )

    return make


@pytest.fixture
def job_customer(make_customer):
    def make(tenant: Any, point: tuple[float, float] = JOB) -> Any:
        return make_customer(
            tenant,
            service_address_line1="Hauptstr. 1",
            service_city="Berlin",
            service_postal_code="10115",
            service_latitude=str(point[0]),
            service_longitude=str(point[1]),
        )

    return make


def book(tenant: Any, customer: Any, starts_at: dt.datetime, **values: Any) -> Appointment:
    values.setdefault("kind", "installation")
    return services.book_appointment(
        tenant=tenant, actor=None, customer=customer, starts_at=starts_at, **values
    )


# --- the pure rules -------------------------------------------------------


def test_haversine_distance_berlin_potsdam():
    # Berlin Mitte to Potsdam centre, about 27 km as the crow flies.
    assert scheduling.haversine_km(BERLIN, POTSDAM) == pytest.approx(27.0, abs=0.5)
    assert scheduling.haversine_km(BERLIN, BERLIN) == 0


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ({"mon": ["17:00", "08:00"]}, "working_hours.mon"),
        ({"monday": ["08:00", "17:00"]}, "working_hours.monday"),
        ({"tue": ["8 am", "17:00"]}, "working_hours.tue"),
        ({"wed": ["08:00"]}, "working_hours.wed"),
        ("always", "working_hours"),
    ],
)
def test_bad_working_hours_name_the_day(hours, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        scheduling.check_working_hours(hours)


def test_working_window_is_local_time_in_utc():
    day = dt.date(2026, 7, 6)  # a Monday, CEST (UTC+2)
    start, end = scheduling.working_window(scheduling.DEFAULT_WORKING_HOURS, day, "Europe/Berlin")
    assert (start.hour, end.hour) == (6, 15)
    assert (
        scheduling.working_window(scheduling.DEFAULT_WORKING_HOURS, day + dt.timedelta(5), "UTC")
        is None
    )


def test_polygon_service_area_covers_points_inside_only():
    square = {
        "type": "Polygon",
        "coordinates": [[[13.3, 52.4], [13.5, 52.4], [13.5, 52.6], [13.3, 52.6], [13.3, 52.4]]],
    }
    c = scheduling.Candidate(
        id=1, skills=frozenset(), home=None, hours={}, tz="UTC", max_jobs_per_day=1, area=square
    )
    assert c.covers(JOB)
    assert not c.covers(POTSDAM)
    with pytest.raises(ValueError, match="service_area"):
        scheduling.area_shape({"type": "Point", "coordinates": [13.4, 52.5]})


# --- technicians ---------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"skills": ["juggling"]}, "skills"),
        ({"working_hours": {"mon": ["18:00", "09:00"]}}, "working_hours"),
        ({"service_area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}, "service_area"),
        ({"home_latitude": 91}, "home_latitude"),
        ({"home_latitude": "NaN"}, "home_latitude"),
        ({"home_latitude": 52.5, "home_longitude": "Infinity"}, "home_longitude"),
        ({"max_jobs_per_day": 0}, "max_jobs_per_day"),
    ],
)
def test_technician_bad_input_names_the_field(make_tenant, make_tech, values, field):
    tenant = make_tenant()
    with pytest.raises(InvalidInput) as err:
        make_tech(tenant, **values)
    assert err.value.field == field
    assert not Technician.objects.filter(tenant=tenant).exists()


def test_a_radius_needs_a_home_base(make_tenant, make_staff):
    tenant = make_tenant()
    with pytest.raises(InvalidInput) as err:
        services.save_technician(
            tenant=tenant, actor=None, user=make_staff(tenant, ""), service_radius_km=10
        )
    assert err.value.field == "service_radius_km"


def test_another_tenants_user_cannot_be_made_technician(make_tenant, make_staff):
    tenant, other = make_tenant(), make_tenant()
    with pytest.raises(InvalidInput) as err:
        services.save_technician(tenant=tenant, actor=None, user=make_staff(other, ""))
    assert err.value.field == "user"


# --- who gets the job ----------------------------------------------------


def test_the_nearest_technician_with_the_skills_gets_the_job(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    far = make_tech(tenant, home=POTSDAM)
    near = make_tech(tenant, home=BERLIN)
    make_tech(tenant, home=JOB, skills=["cpe_install"])  # nearest, lacks splicing
    day = monday(tenant)
    a = book(tenant, job_customer(tenant), at(tenant, day, 9), required_skills=["fibre_splicing"])
    assert a.technician == near
    assert a.ends_at - a.starts_at == dt.timedelta(minutes=180)
    assert (a.latitude, a.longitude) == (job_customer(tenant).service_latitude, a.longitude)
    assert a.address.startswith("Hauptstr. 1")
    assert far.appointments.count() == 0


def test_distance_counts_from_the_previous_job_that_day(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    berlin = make_tech(tenant, home=BERLIN)
    potsdam = make_tech(tenant, home=POTSDAM)
    day = monday(tenant)
    # Berlin's technician's morning job is in Potsdam: from there the next
    # Potsdam job is as near for both; the load (1 job against 0) decides.
    book(tenant, job_customer(tenant, POTSDAM), at(tenant, day, 8), technician=berlin)
    near_potsdam = (52.3950, 13.0600)
    second = book(tenant, job_customer(tenant, near_potsdam), at(tenant, day, 12))
    assert second.technician == potsdam
    # After a job in Potsdam, Berlin's technician is nearer a Potsdam job than
    # a home base in Berlin would make them.
    third = book(tenant, job_customer(tenant, near_potsdam), at(tenant, day, 12), kind="repair")
    assert third.technician == berlin


def test_equal_distance_goes_to_the_less_loaded(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    first = make_tech(tenant)
    second = make_tech(tenant)
    day = monday(tenant)
    customer = job_customer(tenant)
    a = book(tenant, customer, at(tenant, day, 8), kind="repair")
    b = book(tenant, customer, at(tenant, day, 8), kind="repair")
    assert {a.technician, b.technician} == {first, second}
    c = book(tenant, customer, at(tenant, day, 10), kind="repair")
    d = book(tenant, customer, at(tenant, day, 10), kind="repair")
    assert {c.technician, d.technician} == {first, second}


@pytest.mark.parametrize(
    ("tech", "hour", "reason"),
    [
        ({"skills": ["cpe_install"]}, 9, "skills"),
        ({"service_radius_km": 1, "home": POTSDAM}, 9, "service_area"),
        ({"working_hours": {"mon": ["12:00", "18:00"]}}, 9, "working_hours"),
        ({"working_hours": {"tue": ["08:00", "17:00"]}}, 9, "working_hours"),
        ({}, 16, "working_hours"),  # 16:00 + 3 h ends after the shift
        ({"is_active": False}, 9, "inactive"),
    ],
)
def test_filters_leave_nobody(make_tenant, make_tech, job_customer, tech, hour, reason):
    tenant = make_tenant()
    make_tech(tenant, **tech)
    day = monday(tenant)
    with pytest.raises(NoTechnicianAvailable) as err:
        book(
            tenant, job_customer(tenant), at(tenant, day, hour), required_skills=["fibre_splicing"]
        )
    assert err.value.field == "starts_at"
    assert err.value.status_code == 409
    assert not Appointment.objects.filter(tenant=tenant).exists()


def test_time_off_and_max_jobs_and_overlap(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    tech = make_tech(tenant, max_jobs_per_day=2)
    customer = job_customer(tenant)
    day = monday(tenant)
    services.add_time_off(technician=tech, actor=None, start_date=day, end_date=day)
    with pytest.raises(NoTechnicianAvailable):
        book(tenant, customer, at(tenant, day, 9))
    tuesday = day + dt.timedelta(days=1)
    book(tenant, customer, at(tenant, tuesday, 8), kind="repair")
    with pytest.raises(NoTechnicianAvailable):  # overlaps 08:00-09:30
        book(tenant, customer, at(tenant, tuesday, 9), kind="repair")
    book(tenant, customer, at(tenant, tuesday, 10), kind="repair")
    with pytest.raises(NoTechnicianAvailable):  # third job of the day, max 2
        book(tenant, customer, at(tenant, tuesday, 13), kind="repair")


def test_time_off_over_booked_days_is_refused(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    tech = make_tech(tenant)
    day = monday(tenant)
    book(tenant, job_customer(tenant), at(tenant, day, 9))
    with pytest.raises(Exception) as err:
        services.add_time_off(
            technician=tech, actor=None, start_date=day - dt.timedelta(1), end_date=day
        )
    assert err.value.field == "start_date"


def test_nobody_fits_suggests_the_next_free_slots(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    tech = make_tech(tenant, max_jobs_per_day=1)
    customer = job_customer(tenant)
    day = monday(tenant)
    book(tenant, customer, at(tenant, day, 9))
    with pytest.raises(NoTechnicianAvailable) as err:
        book(tenant, customer, at(tenant, day, 13))
    slots = err.value.suggested_slots
    assert err.value.as_dict()["suggested_slots"] == slots
    assert len(slots) == services.SUGGEST_LIMIT
    first = dt.datetime.fromisoformat(slots[0]["starts_at"])
    # Monday is full (one job a day): Tuesday from the shift's start.
    assert first == at(tenant, day + dt.timedelta(days=1), 8)
    assert {s["technician"] for s in slots} == {tech.pk}
    # A booking in a suggested slot succeeds.
    assert book(tenant, customer, first).technician == tech


def test_a_named_technician_must_fit(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    busy = make_tech(tenant)
    make_tech(tenant)
    day = monday(tenant)
    book(tenant, job_customer(tenant), at(tenant, day, 9), technician=busy)
    with pytest.raises(NoTechnicianAvailable) as err:
        book(tenant, job_customer(tenant), at(tenant, day, 10), technician=busy)
    assert err.value.field == "technician"
    assert "calendar" in err.value.message


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "picnic"}, "kind"),
        ({"required_skills": ["juggling"]}, "required_skills"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"latitude": 95, "longitude": 13}, "latitude"),
        ({"starts_at": dt.datetime(2026, 5, 4, 10)}, "starts_at"),  # noqa: DTZ001 - naive on purpose
        ({"starts_at": dt.datetime(2000, 5, 4, 10, tzinfo=dt.UTC)}, "starts_at"),
    ],
)
def test_booking_bad_input_names_the_field(make_tenant, make_tech, job_customer, values, field):
    tenant = make_tenant()
    make_tech(tenant)
    values.setdefault("starts_at", at(tenant, monday(tenant), 9))
    with pytest.raises(InvalidInput) as err:
        book(tenant, job_customer(tenant), **values)
    assert err.value.field == field


def test_default_start_is_ten_local_three_days_ahead(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    make_tech(tenant, working_hours={d: ["08:00", "18:00"] for d in scheduling.WEEKDAYS})
    a = services.book_appointment(
        tenant=tenant, actor=None, kind="repair", customer=job_customer(tenant)
    )
    local = a.starts_at.astimezone(ZoneInfo(tenant.timezone))
    assert local.date() == clock.today(tenant) + dt.timedelta(days=3)
    assert local.time() == dt.time(10, 0)


# --- transitions and completion ------------------------------------------


@pytest.fixture
def on_site(make_tenant, make_tech, job_customer, make_subscription):
    tenant = make_tenant()
    make_tech(tenant)
    sub = make_subscription(tenant, active=False)
    a = book(
        tenant,
        sub.customer,
        at(tenant, monday(tenant), 9),
        subscription=sub,
        latitude=JOB[0],
        longitude=JOB[1],
    )
    services.transition_appointment(appointment=a, actor=None, action="set_out")
    return services.transition_appointment(appointment=a, actor=None, action="arrive")


@pytest.fixture
def published(monkeypatch):
    """The field events published during the test."""
    seen: list[InstallationCompleted] = []

    def record(event: InstallationCompleted) -> None:
        seen.append(event)

    monkeypatch.setattr(events, "_subscriptions", list(events._subscriptions))
    events.subscribe(InstallationCompleted, record, in_transaction=True)
    return seen


def test_completing_an_installation_emits_the_event(on_site, published, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seen = published
    done = services.complete_appointment(
        appointment=on_site,
        actor=None,
        notes="ONU mounted, light level -19 dBm",
        photos=[SimpleUploadedFile("wall.jpg", JPEG), SimpleUploadedFile("onu.png", PNG)],
        serials=["ZTEG12345678", " ZTEG12345678 ", "", "HWTC87654321"],
    )
    assert done.state == "completed"
    assert done.serials == ["ZTEG12345678", "HWTC87654321"]
    assert [p.content_type for p in done.photos.all()] == ["image/jpeg", "image/png"]
    ticket = Ticket.objects.get(pk=on_site.ticket_id)
    assert ticket.state == "resolved"
    assert ticket.ticket_type == "installation_request"
    assert len(seen) == 1
    assert seen[0].name == "field.installation_completed"
    assert seen[0].ticket_id == ticket.pk
    assert seen[0].subscription_id == on_site.subscription_id
    assert seen[0].serials == done.serials


def test_completion_feeds_the_onu_and_cpe_inventory(on_site):
    from ispstack.network.models import Device, Onu
    from ispstack.subscriptions.models import OnuAssignment

    tenant = on_site.tenant
    onu = Onu.objects.create(tenant=tenant, serial="ZTEG0000ABCD")
    cpe = Device.objects.create(tenant=tenant, role="cpe", name="cpe-1", serial="CPE-77")
    done = services.complete_appointment(
        appointment=on_site, actor=None, serials=["zteg0000abcd", "CPE-77", "UNKNOWN-1"]
    )
    assert list(done.onus.all()) == [onu]
    assert list(done.devices.all()) == [cpe]
    assert done.serials == ["zteg0000abcd", "CPE-77", "UNKNOWN-1"]
    assignment = OnuAssignment.objects.get(onu=onu, released_at=None)
    assert assignment.subscription_id == on_site.subscription_id
    assert Onu.objects.get(pk=onu.pk).state == "assigned"


def test_an_onu_not_in_stock_is_refused(on_site):
    from ispstack.network.models import Onu

    Onu.objects.create(tenant=on_site.tenant, serial="HWTC00000001", state="faulty")
    with pytest.raises(InvalidTransition) as err:
        services.complete_appointment(appointment=on_site, actor=None, serials=["HWTC00000001"])
    assert err.value.field == "serials"
    assert Appointment.objects.get(pk=on_site.pk).state == "on_site"


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (SimpleUploadedFile("x.jpg", b"MZ\x90\x00\x03\x00 not an image"), "not allowed"),
        (SimpleUploadedFile("bill.pdf", b"%PDF-1.7 a bill"), "not allowed"),
        (SimpleUploadedFile("big.jpg", JPEG + b"\x00" * 4096), "at most 2048 bytes"),
        (SimpleUploadedFile("empty.jpg", b""), "empty"),
    ],
)
def test_photo_limits_are_the_ticket_attachment_limits(on_site, photo, message):
    conf = settings_for(on_site.tenant)
    conf.max_attachment_bytes = 2048
    conf.save()
    with pytest.raises(InvalidInput, match=message) as err:
        services.complete_appointment(appointment=on_site, actor=None, photos=[photo])
    assert err.value.field == "photos"
    assert Appointment.objects.get(pk=on_site.pk).state == "on_site"
    assert not AppointmentPhoto.objects.exists()


def test_too_many_photos_and_bad_serials(on_site):
    many = [SimpleUploadedFile(f"{i}.jpg", JPEG) for i in range(services.PHOTO_MAX_COUNT + 1)]
    with pytest.raises(InvalidInput) as err:
        services.complete_appointment(appointment=on_site, actor=None, photos=many)
    assert err.value.field == "photos"
    with pytest.raises(InvalidInput) as err:
        services.complete_appointment(appointment=on_site, actor=None, serials=["A" * 65])
    assert err.value.field == "serials"


def test_transitions_follow_the_state_machine(on_site):
    with pytest.raises(InvalidTransition):
        services.transition_appointment(appointment=on_site, actor=None, action="cancel")
    with pytest.raises(InvalidInput) as err:
        services.transition_appointment(appointment=on_site, actor=None, action="fail")
    assert err.value.field == "reason"
    failed = services.transition_appointment(
        appointment=on_site, actor=None, action="fail", reason="no access to the building"
    )
    assert failed.state == "failed"
    with pytest.raises(InvalidTransition) as err:
        services.complete_appointment(appointment=failed, actor=None)
    assert err.value.field == "state"


def test_a_cancelled_visit_frees_the_slot(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    tech = make_tech(tenant)
    start = at(tenant, monday(tenant), 9)
    a = book(tenant, job_customer(tenant), start)
    services.transition_appointment(appointment=a, actor=None, action="cancel")
    assert book(tenant, job_customer(tenant), start).technician == tech


def test_repair_completion_emits_nothing(make_tenant, make_tech, job_customer, published):
    tenant = make_tenant()
    make_tech(tenant)
    a = book(tenant, job_customer(tenant), at(tenant, monday(tenant), 9), kind="repair")
    for action in ("set_out", "arrive"):
        a = services.transition_appointment(appointment=a, actor=None, action=action)
    services.complete_appointment(appointment=a, actor=None, notes="fixed")
    assert published == []
    # The fault ticket stays with support, who confirm with the customer.
    assert Ticket.objects.get(pk=a.ticket_id).state == "new"


def test_a_visit_carries_out_the_given_ticket(make_tenant, make_tech, job_customer):
    tenant = make_tenant()
    make_tech(tenant)
    customer = job_customer(tenant)
    request = tickets.open_ticket(
        tenant=tenant, subject="Fibre please", ticket_type="installation_request", customer=customer
    )
    a = book(tenant, customer, at(tenant, monday(tenant), 9), ticket=request)
    assert a.ticket == request
    fault = tickets.open_ticket(
        tenant=tenant, subject="Slow", ticket_type="speed_issue", customer=customer
    )
    with pytest.raises(InvalidInput) as err:
        book(tenant, customer, at(tenant, monday(tenant), 13), ticket=fault)
    assert err.value.field == "ticket"
    assert book(tenant, customer, at(tenant, monday(tenant), 13), ticket=fault, kind="repair")


def test_a_ticket_of_another_customer_or_tenant_is_refused(make_tenant, make_tech, job_customer):
    tenant, other = make_tenant(), make_tenant()
    make_tech(tenant)
    customer = job_customer(tenant)
    theirs = tickets.open_ticket(
        tenant=other, subject="x", ticket_type="installation_request", customer=job_customer(other)
    )
    neighbour = tickets.open_ticket(
        tenant=tenant,
        subject="x",
        ticket_type="installation_request",
        customer=job_customer(tenant),
    )
    for ticket in (theirs, neighbour):
        with pytest.raises(InvalidInput) as err:
            book(tenant, customer, at(tenant, monday(tenant), 9), ticket=ticket)
        assert err.value.field == "ticket"
    assert not Appointment.objects.exists()


# --- concurrency ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_double_book(make_tenant, make_tech, job_customer, monkeypatch):
    """Three bookings of the same slot at once, one technician: one wins, the
    others are told nobody is free. Each racer waits for the others (or for
    one blocked on the technician's row lock) after locking and before
    reading the calendar, the moment a booking without the lock would
    double-book."""
    from tests.test_races import Rendezvous, run_at_once

    tenant = make_tenant()
    tech = make_tech(tenant)
    customers = [job_customer(tenant) for _ in range(3)]
    start = at(tenant, monday(tenant), 9)
    meet = Rendezvous(3)
    monkeypatch.setattr(services, "candidates", meet.around(services.candidates))

    results = run_at_once(*[lambda c=c: book(tenant, c, start) for c in customers])

    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, NoTechnicianAvailable)]
    assert (len(booked), len(refused)) == (1, 2), results
    assert Appointment.objects.filter(technician=tech).count() == 1


# --- API -----------------------------------------------------------------


@pytest.fixture
def api_world(make_tenant, make_tech, job_customer, api_client_for):
    tenant, other = make_tenant(), make_tenant()
    tech = make_tech(tenant, max_jobs_per_day=1)
    make_tech(other)
    theirs = book(other, job_customer(other), at(other, monday(other), 9))
    return tenant, other, tech, theirs, job_customer(tenant), api_client_for


def test_api_books_lists_moves_and_completes(api_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant, _other, tech, _theirs, customer, client_for = api_world
    from rest_framework.test import APIClient

    support, technician = client_for(tenant, "support"), APIClient()
    technician.force_authenticate(tech.user)  # the visit's technician
    day = monday(tenant)
    body = {"kind": "installation", "customer": customer.pk, "starts_at": at(tenant, day, 9)}
    made = support.post("/api/v1/appointments/", body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["technician"] == tech.pk
    assert made.json()["ticket_number"].startswith("TCK-")
    assert made.json()["map_url"] == (
        f"https://www.openstreetmap.org/?mlat={customer.service_latitude}"
        f"&mlon={customer.service_longitude}"
    )
    pk = made.json()["id"]

    full = support.post(
        "/api/v1/appointments/", {**body, "starts_at": at(tenant, day, 13)}, format="json"
    )
    assert full.status_code == 409
    assert full.json()["field"] == "starts_at"
    assert (
        full.json()["suggested_slots"][0]["starts_at"]
        == at(tenant, day + dt.timedelta(days=1), 8).isoformat()
    )

    listed = technician.get(f"/api/v1/appointments/?date={day}&technician={tech.pk}")
    assert [row["id"] for row in listed.json()["results"]] == [pk]
    assert (
        technician.get(f"/api/v1/appointments/?date={day + dt.timedelta(1)}").json()["results"]
        == []
    )
    assert technician.get("/api/v1/appointments/?date=monday").json()["field"] == "date"

    for step in ("set_out", "arrive"):
        moved = technician.post(f"/api/v1/appointments/{pk}/transition/", {"action": step})
        assert moved.status_code == 200, moved.json()
    # A colleague may read the visit, not act on it.
    colleague = client_for(tenant, "technician")
    for action, body in (("transition", {"action": "fail"}), ("complete", {"notes": "x"})):
        refused = colleague.post(f"/api/v1/appointments/{pk}/{action}/", body, format="json")
        assert refused.status_code == 403, action

    bad = technician.post(
        f"/api/v1/appointments/{pk}/complete/",
        {"notes": "done", "photos": [SimpleUploadedFile("a.jpg", b"not an image")]},
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "photos"
    done = technician.post(
        f"/api/v1/appointments/{pk}/complete/",
        {
            "notes": "ONU up",
            "serials": ["ZTEG0001", "ZTEG0002"],
            "photos": [SimpleUploadedFile("a.jpg", JPEG)],
        },
        format="multipart",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "completed"
    assert done.json()["serials"] == ["ZTEG0001", "ZTEG0002"]
    assert [p["content_type"] for p in done.json()["photos"]] == ["image/jpeg"]


def test_api_suggest_slots_and_technicians(api_world):
    tenant, _other, tech, _theirs, customer, client_for = api_world
    admin = client_for(tenant, "admin")
    slots = admin.post(
        "/api/v1/appointments/suggest-slots/",
        {"kind": "repair", "customer": customer.pk, "limit": 2},
        format="json",
    )
    assert slots.status_code == 200, slots.json()
    assert len(slots.json()) == 2
    assert {s["technician"] for s in slots.json()} == {tech.pk}
    patched = admin.patch(
        f"/api/v1/technicians/{tech.pk}/",
        {"working_hours": {"mon": ["09:00", "08:00"]}},
        format="json",
    )
    assert patched.status_code == 400
    assert patched.json()["field"] == "working_hours"
    assert (
        client_for(tenant, "technician")
        .patch(f"/api/v1/technicians/{tech.pk}/", {"is_active": False}, format="json")
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("role", "own", "others"),
    [
        ("technician", 200, 403),  # their own visits only
        ("support", 200, 200),  # dispatcher: any of the tenant's
        ("admin", 200, 200),
        ("billing", 403, 403),
        ("noc", 403, 403),
    ],
)
def test_api_who_may_move_which_visit(
    make_tenant, make_tech, make_staff, job_customer, role, own, others
):
    from rest_framework.test import APIClient

    tenant = make_tenant()
    colleague = make_tech(tenant)
    mine = make_tech(tenant) if role == "technician" else None
    user = mine.user if mine is not None else make_staff(tenant, role)
    day = monday(tenant)
    theirs = book(tenant, job_customer(tenant), at(tenant, day, 9), technician=colleague)
    visit = book(tenant, job_customer(tenant), at(tenant, day, 13), technician=mine or colleague)
    client = APIClient()
    client.force_authenticate(user)
    for appointment, status in ((visit, own), (theirs, others)):
        response = client.post(
            f"/api/v1/appointments/{appointment.pk}/transition/", {"action": "set_out"}
        )
        assert response.status_code == status, response.json()
        moved = Appointment.objects.get(pk=appointment.pk).state == "en_route"
        assert moved == (status == 200)


def test_api_reschedule_by_owner_and_dispatcher(
    make_tenant, make_tech, job_customer, api_client_for
):
    from rest_framework.test import APIClient

    tenant = make_tenant()
    tech, colleague = make_tech(tenant), make_tech(tenant)
    day = monday(tenant)
    visit = book(tenant, job_customer(tenant), at(tenant, day, 9), technician=tech)
    busy = book(tenant, job_customer(tenant), at(tenant, day, 13), technician=tech)
    own = APIClient()
    own.force_authenticate(tech.user)
    url = f"/api/v1/appointments/{visit.pk}/reschedule/"

    moved = own.post(url, {"starts_at": at(tenant, day, 10).isoformat()}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["starts_at"] == at(tenant, day, 10).isoformat().replace("+00:00", "Z")
    assert (
        own.post(url, {"starts_at": at(tenant, day, 13).isoformat()}, format="json").status_code
        == 409
    )  # their own visit at 13:00 is in the way
    assert Appointment.objects.get(pk=busy.pk).starts_at == at(tenant, day, 13)
    handed = own.post(
        url,
        {"starts_at": at(tenant, day, 11).isoformat(), "technician": colleague.pk},
        format="json",
    )
    assert handed.status_code == 403
    dispatcher = api_client_for(tenant, "support")
    handed = dispatcher.post(
        url,
        {"starts_at": at(tenant, day, 11).isoformat(), "technician": colleague.pk},
        format="json",
    )
    assert handed.status_code == 200, handed.json()
    assert Appointment.objects.get(pk=visit.pk).technician == colleague
    # Now the colleague's: the first technician may not move it any more.
    assert (
        own.post(url, {"starts_at": at(tenant, day, 12).isoformat()}, format="json").status_code
        == 403
    )


def test_api_other_tenants_rows_are_404(api_world):
    tenant, other, _tech, theirs, customer, client_for = api_world
    admin = client_for(tenant, "admin")
    assert admin.get(f"/api/v1/appointments/{theirs.pk}/").status_code == 404
    assert admin.get(f"/api/v1/technicians/{theirs.technician_id}/").status_code == 404
    for action, body in (("transition", {"action": "cancel"}), ("complete", {"notes": "x"})):
        response = admin.post(f"/api/v1/appointments/{theirs.pk}/{action}/", body, format="json")
        assert response.status_code == 404
    booked = admin.post(
        "/api/v1/appointments/",
        {"kind": "repair", "customer": customer.pk, "technician": theirs.technician_id},
        format="json",
    )
    assert booked.status_code == 404
    assert booked.json()["field"] == "technician"
    assert Appointment.objects.filter(tenant=other).count() == 1
    assert Appointment.objects.get(pk=theirs.pk).state == "scheduled"
