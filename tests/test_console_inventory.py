"""The console's network inventory: the sites list and a site's page, the
devices list (no password column; an audited reveal for those allowed), the
ONU list with its filters, assign and release; per role, per tenant, in
bounded queries."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from ispstack.core.models import AuditLog
from ispstack.network import devices, sites
from ispstack.network.models import IPPool, Onu, OnuState
from ispstack.subscriptions.equipment import assign_onu, update_installation
from ispstack.subscriptions.models import OnuAssignment
from tests.console_export import exported

pytestmark = pytest.mark.django_db

PAGES = ["/staff/network/sites/", "/staff/network/devices/", "/staff/network/onus/"]


@pytest.fixture
def world(make_tenant, make_staff, make_subscription):
    tenant, other = make_tenant(), make_tenant()
    tower = sites.create_site(
        tenant=tenant,
        kind="tower",
        name="Hill Tower",
        latitude="52.1",
        longitude="13.1",
        coverage_radius_m=4000,
    )
    sector = sites.create_sector(tenant=tenant, site=tower, name="North", azimuth=0, band="5 GHz")
    olt = devices.create_device(
        tenant=tenant,
        role="olt",
        name="olt-hill",
        serial="OLT-H1",
        vendor="ZTE",
        site=tower,
        username="admin",
        password="Very-Secret-OLT",
    )
    devices.create_device(
        tenant=tenant, role="switch", name="sw-hill", serial="SW-1", vendor="MikroTik", site=tower
    )
    sites.create_vlan(tenant=tenant, site=tower, vid=100, name="fibre")
    sub = make_subscription(tenant)
    IPPool.objects.filter(pk=sub.pool_id).update(site=tower)
    update_installation(subscription=sub, sector=sector)
    stock = devices.create_onu(tenant=tenant, serial="ZTEG00000001", model="F601")
    held = devices.create_onu(tenant=tenant, serial="ZTEG00000002", model="F660")
    assign_onu(onu=held, subscription=sub)
    foreign = sites.create_site(
        tenant=other, kind="pop", name="Foreign POP", latitude=1, longitude=1
    )
    foreign_device = devices.create_device(
        tenant=other, role="olt", name="olt-foreign", serial="F1", password="x-secret"
    )
    return SimpleNamespace(
        tenant=tenant,
        tower=tower,
        olt=olt,
        sub=sub,
        stock=stock,
        held=held,
        foreign=foreign,
        foreign_device=foreign_device,
        staff=lambda role, t=tenant: make_staff(t, role),
    )


def page(client: Client, user: Any, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_sites_list_and_site_page(client: Client, world, django_assert_max_num_queries):
    noc = world.staff("noc")
    html = page(client, noc, "/staff/network/sites/")
    assert "Hill Tower" in html and "Foreign POP" not in html
    client.force_login(noc)
    with django_assert_max_num_queries(20):
        html = client.get(f"/staff/network/sites/{world.tower.pk}/").content.decode()
    for shown in ("North", "5 GHz", "olt-hill", "sw-hill", "fibre", "4000 m around the site"):
        assert shown in html, shown
    assert 'id="site-subscribers">1<' in html
    assert "1 of " in html  # one address of the site's pool in use
    assert client.get(f"/staff/network/sites/{world.foreign.pk}/").status_code == 404


def test_devices_list_filters_and_never_shows_a_password(client: Client, world):
    noc, support = world.staff("noc"), world.staff("support")
    html = page(client, noc, "/staff/network/devices/")
    assert "olt-hill" in html and "Very-Secret-OLT" not in html and "olt-foreign" not in html
    assert f"/staff/network/devices/{world.olt.pk}/reveal/" in html
    only_olts = page(client, noc, "/staff/network/devices/?role=olt")
    assert "olt-hill" in only_olts and "sw-hill" not in only_olts
    by_vendor = page(client, noc, "/staff/network/devices/?vendor=mikrotik")
    assert "sw-hill" in by_vendor and "olt-hill" not in by_vendor
    by_site = page(client, noc, f"/staff/network/devices/?site={world.tower.pk}")
    assert "olt-hill" in by_site
    assert b"Very-Secret-OLT" not in exported(client, "/staff/network/devices/", "csv")

    html = page(client, support, "/staff/network/devices/")
    assert "olt-hill" in html and "/reveal/" not in html
    assert client.post(f"/staff/network/devices/{world.olt.pk}/reveal/").status_code == 403


def test_device_reveal_is_audited_and_tenant_scoped(client: Client, world):
    noc = world.staff("noc")
    client.force_login(noc)
    confirm = client.get(f"/staff/network/devices/{world.olt.pk}/reveal/").content.decode()
    assert "Very-Secret-OLT" not in confirm
    shown = client.post(f"/staff/network/devices/{world.olt.pk}/reveal/").content.decode()
    assert "Very-Secret-OLT" in shown
    assert AuditLog.objects.filter(action="device.reveal_password", actor=noc).count() == 1
    foreign = client.post(f"/staff/network/devices/{world.foreign_device.pk}/reveal/")
    assert foreign.status_code == 404


def test_onu_list_filters_assign_and_release(client: Client, world, make_subscription):
    noc = world.staff("noc")
    html = page(client, noc, "/staff/network/onus/?state=in_stock")
    assert "ZTEG00000001" in html and "ZTEG00000002" not in html
    html = page(client, noc, "/staff/network/onus/?model=F660")
    assert "ZTEG00000002" in html and world.sub.username in html

    other_sub = make_subscription(world.tenant)
    url = f"/staff/network/onus/{world.stock.pk}/assign/"
    wrong = client.post(url, {"username": "nobody-here"})
    assert wrong.status_code == 200 and "No subscription" in wrong.content.decode()
    assert client.post(url, {"username": other_sub.username}).status_code == 302
    assert Onu.objects.get(pk=world.stock.pk).state == OnuState.ASSIGNED
    again = client.post(url, {"username": world.sub.username}).content.decode()
    assert "not in stock" in again

    released = client.post(
        "/staff/network/onus/",
        {"action": "release", "pk": [world.held.pk], "confirm": "1", "reason": "moved out"},
    )
    assert released.status_code in (200, 302)
    assert Onu.objects.get(pk=world.held.pk).state == OnuState.IN_STOCK
    assert OnuAssignment.objects.get(onu=world.held).reason == "moved out"


@pytest.mark.parametrize("url", PAGES)
def test_billing_sees_no_inventory(client: Client, world, url):
    client.force_login(world.staff("billing"))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["noc", "admin", "support"])
def test_network_roles_open_every_page_and_see_the_menu(client: Client, world, role):
    for url in PAGES:
        html = page(client, world.staff(role), url)
        assert "/staff/network/sites/" in html and "/staff/network/onus/" in html


def test_support_may_not_assign_onus(client: Client, world):
    client.force_login(world.staff("support"))
    response = client.post(
        f"/staff/network/onus/{world.stock.pk}/assign/", {"username": world.sub.username}
    )
    assert response.status_code == 403
    assert Onu.objects.get(pk=world.stock.pk).state == OnuState.IN_STOCK


@pytest.mark.parametrize(
    "params",
    [
        "role=%00",
        "site=abc",
        "site=999999999999999999999",
        "state=nope",
        "sort=-x",
        "q=" + "x" * 5000,
    ],
)
def test_hostile_query_params_never_break_a_page(client: Client, world, params):
    client.force_login(world.staff("noc"))
    for url in PAGES:
        assert client.get(f"{url}?{params}").status_code in (200, 400)


def test_lists_in_bounded_queries(client: Client, world, django_assert_max_num_queries):
    for n in range(30):
        devices.create_onu(tenant=world.tenant, serial=f"HWTC{n:08X}")
        devices.create_device(tenant=world.tenant, role="cpe", name=f"cpe-{n}", serial=f"C{n}")
    client.force_login(world.staff("noc"))
    for url in PAGES:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200
