"""The network inventory pages in Debian's Chromium: each passes axe-core with
no serious or critical violation."""

from __future__ import annotations

import pytest

from ispstack.network import devices, sites
from ispstack.subscriptions.equipment import assign_onu
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_inventory_pages_pass_axe(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    tenant = make_tenant(name="Alpha Net")
    tower = sites.create_site(
        tenant=tenant,
        kind="tower",
        name="Hill Tower",
        latitude="52.1",
        longitude="13.1",
        coverage_radius_m=4000,
    )
    sites.create_sector(tenant=tenant, site=tower, name="North", azimuth=0, band="5 GHz")
    olt = devices.create_device(
        tenant=tenant, role="olt", name="olt-hill", serial="OLT-1", site=tower, password="pw-olt-1"
    )
    sites.create_vlan(tenant=tenant, site=tower, vid=100, name="fibre")
    stock = devices.create_onu(tenant=tenant, serial="ZTEG00000001", model="F601")
    assign_onu(
        onu=devices.create_onu(tenant=tenant, serial="ZTEG00000002"),
        subscription=make_subscription(tenant),
    )
    noc = make_staff(tenant, "noc")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, noc)
        for path, shows in (
            ("/staff/network/sites/", "Hill Tower"),
            (f"/staff/network/sites/{tower.pk}/", "North"),
            ("/staff/network/devices/", "olt-hill"),
            (f"/staff/network/devices/{olt.pk}/reveal/", "audit log"),
            ("/staff/network/onus/", "ZTEG00000002"),
            (f"/staff/network/onus/{stock.pk}/assign/", "ZTEG00000001"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert shows in page.inner_text("main"), path
            assert serious_violations(page) == [], path
    finally:
        page.close()
