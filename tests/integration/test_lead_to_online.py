"""From lead to online through the API alone, against real peers: a
prospect at a GPS point becomes an active, billed subscriber whose address
a real NetBox holds and whom a real FreeRADIUS 3.2 lets in with that address.

Peers: PostgreSQL, FreeRADIUS (``tests/freeradius``) and NetBox
(``tests/netbox_peer.py``; it fails with the reason where Python 3.12 is
missing, never skips) are real.
GenieACS is not in the package registries: its NBI answers are the recorded
ones of ``tests/genieacs_recorded.py``. One test covers the whole path, as
the NetBox peer is the costly part.

What is not done through ispstack's API is what an operator does elsewhere:
the catalog plan, the NetBox prefix (made in NetBox), the tenant's
provisioning settings (the admin's settings form), and the technician's
staff login.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pynetbox
import pytest
from rest_framework.test import APIClient

from ispstack.api.tokens import create_token
from ispstack.core import clock
from tests.genieacs_recorded import Reply, fixture, recorded_nbi
from tests.netbox_peer import netbox  # noqa: F401 - a fixture
from tests.tenant_settings import configure

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]

# Monday 1 March 2027, 09:00 in Berlin: a fixed day so the proration is known.
MONDAY = dt.datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
LEAD_AT = ("52.5200", "13.4050")  # Berlin, Alexanderplatz
_third_octet = itertools.count(200)


def client_of(user: Any) -> APIClient:
    """An API client with a token of ``user`` (as a staff member makes one)."""
    client = APIClient()
    _token, raw = create_token(user=user, name="lead-to-online")
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


def test_a_lead_becomes_an_online_billed_subscriber_through_the_api(
    freeradius: Any,
    netbox: Any,  # noqa: F811
    make_tenant: Any,
    make_plan: Any,
    make_staff: Any,
    run_on_commit: Any,
) -> None:
    nb = pynetbox.api(netbox.url, token=netbox.token)
    prefix = f"100.72.{next(_third_octet)}.0/29"
    nb.ipam.prefixes.create(prefix=prefix, status="active")
    with clock.simulated(MONDAY), recorded_nbi() as acs:
        acs.reply("GET", "devices", Reply(200, fixture("devices_tr098.json")))
        acs.reply("POST", "tags", Reply(200))
        acs.reply("POST", "tasks", Reply(202, fixture("task_set_parameter_values.json")))
        tenant = make_tenant()
        configure(
            tenant,
            ipam_backend="netbox",
            netbox_url=netbox.url,
            netbox_token=netbox.token,
            netbox_prefix=prefix,
            genieacs_url=acs.url,
        )
        plan = make_plan(tenant, monthly_price="31.00", download_kbps=100000, upload_kbps=20000)
        admin = client_of(make_staff(tenant, "admin"))
        tech_user = make_staff(tenant, "technician", first_name="Tess")
        technician = client_of(tech_user)

        # The network: a tower covering 2 km around the lead, its pool (the
        # NetBox prefix), an ONU in stock, and a technician based nearby.
        site = ok(
            admin.post(
                "/api/v1/sites/",
                {
                    "kind": "tower",
                    "name": "Alex Tower",
                    "latitude": "52.5210",
                    "longitude": "13.4100",
                    "coverage_radius_m": 2000,
                },
                format="json",
            ),
            201,
        )
        pool = ok(
            admin.post(
                "/api/v1/ip-pools/",
                {"name": "alex-subscribers", "cidr": prefix, "site": site["id"]},
                format="json",
            ),
            201,
        )
        onu = ok(
            admin.post("/api/v1/onus/", {"serial": "ZTEG0A1B2C3D", "model": "F660"}, format="json"),
            201,
        )
        ok(
            admin.post(
                "/api/v1/technicians/",
                {
                    "user": tech_user.pk,
                    "skills": ["cpe_install", "fibre_splicing"],
                    "home_latitude": "52.5000",
                    "home_longitude": "13.4000",
                    "service_radius_km": 30,
                },
                format="json",
            ),
            201,
        )

        # The lead, its coverage and a serviceable survey.
        lead = ok(
            admin.post(
                "/api/v1/leads/",
                {
                    "name": "Grace Hopper",
                    "email": "grace@example.net",
                    "phone": "+49 30 1234567",
                    "address": "Alexanderplatz 1, 10178 Berlin",
                    "latitude": LEAD_AT[0],
                    "longitude": LEAD_AT[1],
                    "plan": plan.pk,
                    "source": "web",
                },
                format="json",
            ),
            201,
        )
        covered = ok(admin.post(f"/api/v1/leads/{lead['id']}/coverage/"))
        assert (covered["coverage"], covered["site"]) == ("covered", site["id"])
        survey = ok(
            admin.post(
                "/api/v1/surveys/",
                {"lead": lead["id"], "scheduled_at": (MONDAY + dt.timedelta(hours=2)).isoformat()},
                format="json",
            ),
            201,
        )
        ok(
            admin.post(
                f"/api/v1/surveys/{survey['id']}/complete/",
                {"outcome": "serviceable", "fibre_available": True, "install_minutes": 90},
                format="json",
            )
        )

        # Conversion: customer, pending subscription, order; installed on Thursday.
        visit_at = MONDAY.replace(day=4, hour=10)
        order = ok(
            admin.post(
                f"/api/v1/leads/{lead['id']}/convert/",
                {
                    "username": "grace@isp.example",
                    "password": "cobol-1959",
                    "pool": pool["id"],
                    "cpe_serial": onu["serial"],
                    "billing_day": 1,
                    "appointment_at": visit_at.isoformat(),
                },
                format="json",
            ),
            201,
        )
        waiting = ok(admin.post(f"/api/v1/service-orders/{order['id']}/advance/"))
        steps = {s["name"]: s for s in waiting["steps"]}
        assert waiting["status"] == "open"
        assert steps["allocate"]["status"] == "done" and steps["radius"]["status"] == "done"
        assert steps["installation"]["status"] == "pending"
        address = steps["allocate"]["result"]["ipv4"]
        # Allocated but not active: FreeRADIUS knows no such user yet.
        assert freeradius.authenticate("grace@isp.example", "cobol-1959").code == "Access-Reject"

        # The technician's visit, through the field API.
        [visit] = ok(technician.get(f"/api/v1/appointments/?customer={order['customer']}"))[
            "results"
        ]
        assert visit["kind"] == "installation"
        assert dt.datetime.fromisoformat(visit["starts_at"]) == visit_at
        clock.move_to(visit_at)
        for action in ("set_out", "arrive"):
            ok(
                technician.post(
                    f"/api/v1/appointments/{visit['id']}/transition/", {"action": action}
                )
            )
        clock.move_to(visit_at + dt.timedelta(minutes=80))
        done = ok(
            technician.post(
                f"/api/v1/appointments/{visit['id']}/complete/",
                {"notes": "ONT mounted, light OK", "serials": [onu["serial"]]},
                format="multipart",
            )
        )
        assert done["state"] == "completed"

        finished = ok(admin.post(f"/api/v1/service-orders/{order['id']}/advance/"))
        assert finished["status"] == "completed", finished
        steps = {s["name"]: s for s in finished["steps"]}
        assert {name: s["status"] for name, s in steps.items()} == {
            "survey_ok": "done",
            "allocate": "done",
            "radius": "done",
            "installation": "done",
            "cpe": "done",
            "activate": "done",
            "welcome": "done",
        }
        assert steps["cpe"]["result"]["acs"] == "queued"
        assert steps["welcome"]["result"]["to"] == "grace@example.net"

        # Active, on the allocated address, with its ONU.
        [sub] = ok(admin.get("/api/v1/subscriptions/?username=grace@isp.example"))["results"]
        assert sub["status"] == "active" and sub["start_date"] == "2027-03-04"
        assert ok(admin.get(f"/api/v1/onus/{onu['id']}/"))["state"] == "assigned"
        # The CPE got the plan's tag and the order's Wi-Fi from the ACS.
        assert ("POST", f"/devices/{_device_id()}/tags/{plan.code}") in [
            (method, path) for method, path, _query, _body in acs.requests
        ]

        # Billed from the activation day: 28 of March's 31 days of 31.00 net.
        [invoice] = ok(admin.get(f"/api/v1/invoices/?customer={order['customer']}"))["results"]
        [line] = [li for li in invoice["lines"] if li["subscription"] == sub["id"]]
        assert (line["period_start"], line["period_end"]) == ("2027-03-04", "2027-03-31")
        expected = (Decimal("31.00") * 28 / 31).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(line["net_amount"]) == expected == Decimal("28.00")
        assert Decimal(line["tax_amount"]) == Decimal("5.32")  # 19 % VAT

    # NetBox holds the address, marked with the customer and the plan.
    customer = ok(admin.get(f"/api/v1/customers/{order['customer']}/"))
    [record] = nb.ipam.ip_addresses.filter(address=address)
    assert str(record.address).split("/")[0] == address
    assert record.status.value == "active"
    assert "grace@isp.example" in record.comments and "Grace Hopper" in record.comments
    assert {t.slug for t in record.tags} == {
        "ispstack",
        f"customer-{customer['account_number'].lower()}",
        f"plan-{plan.code}",
    }

    # FreeRADIUS lets the subscriber in on that address, and nobody else.
    accepted = freeradius.authenticate("grace@isp.example", "cobol-1959")
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Framed-IP-Address"] == address
    assert freeradius.authenticate("grace@isp.example", "wrong-password").code == "Access-Reject"


def _device_id() -> str:
    """The ``_id`` of the recorded device (TR-098 fixture)."""
    import json

    return str(json.loads(fixture("devices_tr098.json"))[0]["_id"])
