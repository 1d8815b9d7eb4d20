"""Deleting sites, sectors, devices and ONUs through the services, the API
and the admin: refused with the reason while in use, nothing deleted then;
a NAS's site and device through its service, API and admin, checked for
role, tenant and place."""

from __future__ import annotations

from typing import Any

import pytest

from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.core.models import AuditLog
from ispstack.network import devices, removal, sites
from ispstack.network.models import Device, Nas, Onu, PonPort, Sector, Site, Vlan
from ispstack.network.nas import create_nas, update_nas
from ispstack.network.services import create_pool
from ispstack.subscriptions.equipment import assign_onu, release_onu, update_installation

pytestmark = pytest.mark.django_db

_n = iter(range(1, 10**6))


def site_of(tenant: Any, name: str = "Hill") -> Site:
    return sites.create_site(tenant=tenant, kind="tower", name=name, latitude=52, longitude=13)


def device_of(tenant: Any, role: str = "router", site: Site | None = None) -> Device:
    n = next(_n)
    return devices.create_device(
        tenant=tenant, role=role, name=f"{role}-{n}", serial=f"SN{n:08d}", site=site
    )


def nas_of(tenant: Any, **extra: Any) -> Nas:
    n = next(_n)
    return create_nas(
        tenant=tenant,
        nasname=f"192.0.2.{n % 250 + 1}",
        shortname=f"bng{n}",
        secret="s3cret-s3cret",
        **extra,
    )


def test_a_site_in_use_is_refused_naming_what_holds_it(tenant: Any) -> None:
    site = site_of(tenant)
    sector = sites.create_sector(tenant=tenant, site=site, name="East", azimuth=90)
    pool = create_pool(tenant=tenant, name="hill", cidr="100.64.7.0/24", site=site)
    router = device_of(tenant, site=site)
    nas = nas_of(tenant, site=site)
    sites.create_vlan(tenant=tenant, site=site, vid=100, name="subscribers")

    with pytest.raises(Conflict) as refused:
        removal.delete_site(site=site)
    assert refused.value.field == "site"
    for held in ("sectors Hill / East", "devices", "IP pools hill", f"NAS {nas.shortname}"):
        assert held in str(refused.value)

    removal.delete_sector(sector=sector)
    update_nas(nas=nas, site=None)
    pool.site = None
    pool.save()
    with pytest.raises(Conflict, match="devices"):
        removal.delete_site(site=site)
    removal.delete_device(device=router)
    removal.delete_site(site=site)
    assert not Site.objects.filter(pk=site.pk).exists()
    assert not Vlan.objects.filter(site_id=site.pk).exists()  # its own VLANs go with it
    assert AuditLog.objects.filter(action="site.delete", object_id=str(site.pk)).exists()


def test_a_sector_serving_subscriptions_is_refused(tenant: Any, make_subscription: Any) -> None:
    site = site_of(tenant)
    sector = sites.create_sector(tenant=tenant, site=site, name="East", azimuth=90)
    sub = make_subscription(tenant)
    update_installation(subscription=sub, sector=sector)
    with pytest.raises(Conflict) as refused:
        removal.delete_sector(sector=sector)
    assert refused.value.field == "sector" and sub.username in str(refused.value)
    update_installation(subscription=sub, sector=None)
    removal.delete_sector(sector=sector)
    assert not Sector.objects.filter(pk=sector.pk).exists()


def test_a_device_in_use_is_refused(tenant: Any, make_subscription: Any) -> None:
    cpe = device_of(tenant, role="cpe")
    sub = make_subscription(tenant)
    update_installation(subscription=sub, cpe=cpe)
    with pytest.raises(Conflict, match="the CPE of subscription"):
        removal.delete_device(device=cpe)

    router = device_of(tenant)
    nas = nas_of(tenant, device=router)
    with pytest.raises(Conflict, match=f"NAS {nas.shortname}"):
        removal.delete_device(device=router)

    ap = device_of(tenant, role="ap")
    sites.create_sector(tenant=tenant, site=site_of(tenant), name="N", azimuth=0, access_point=ap)
    with pytest.raises(Conflict, match="access point"):
        removal.delete_device(device=ap)

    olt = device_of(tenant, role="olt")
    port = devices.create_pon_port(tenant=tenant, olt=olt, slot=1, port=1)
    onu = devices.create_onu(tenant=tenant, serial="ZTEG00000001", pon_port=port)
    with pytest.raises(Conflict, match="the OLT of ONUs ZTEG00000001") as refused:
        removal.delete_device(device=olt)
    assert refused.value.field == "device"
    devices.update_onu(onu=onu, pon_port=None)
    removal.delete_device(device=olt)  # its empty ports go with it
    assert not PonPort.objects.filter(pk=port.pk).exists()
    assert Device.objects.filter(pk__in=[cpe.pk, router.pk, ap.pk]).count() == 3


def test_an_onu_assigned_once_is_kept(tenant: Any, make_subscription: Any) -> None:
    spare = devices.create_onu(tenant=tenant, serial="ZTEG0000000A")
    removal.delete_onu(onu=spare)
    assert not Onu.objects.filter(pk=spare.pk).exists()

    onu = devices.create_onu(tenant=tenant, serial="ZTEG0000000B")
    sub = make_subscription(tenant)
    assign_onu(onu=onu, subscription=sub)
    with pytest.raises(Conflict, match=f"assigned to subscription {sub}") as refused:
        removal.delete_onu(onu=onu)
    assert refused.value.field == "onu"
    release_onu(onu=onu, reason="moved out")
    with pytest.raises(Conflict, match="assignment history"):
        removal.delete_onu(onu=Onu.objects.get(pk=onu.pk))
    assert Onu.objects.filter(pk=onu.pk).exists()


def test_the_api_deletes_or_answers_409(
    tenant: Any, make_tenant: Any, api_client_for: Any, make_subscription: Any
) -> None:
    noc = api_client_for(tenant, "noc")
    site = site_of(tenant)
    sector = sites.create_sector(tenant=tenant, site=site, name="East", azimuth=90)
    busy = noc.delete(f"/api/v1/sites/{site.pk}/")
    assert busy.status_code == 409 and busy.json()["field"] == "site"
    assert "East" in busy.json()["detail"]
    assert noc.delete(f"/api/v1/sectors/{sector.pk}/").status_code == 204
    assert noc.delete(f"/api/v1/sites/{site.pk}/").status_code == 204

    cpe = device_of(tenant, role="cpe")
    update_installation(subscription=make_subscription(tenant), cpe=cpe)
    answer = noc.delete(f"/api/v1/devices/{cpe.pk}/")
    assert answer.status_code == 409 and answer.json()["field"] == "device"
    onu = devices.create_onu(tenant=tenant, serial="ZTEG0000000C")
    assert noc.delete(f"/api/v1/onus/{onu.pk}/").status_code == 204

    theirs = site_of(make_tenant())
    assert noc.delete(f"/api/v1/sites/{theirs.pk}/").status_code == 404
    assert Site.objects.filter(pk=theirs.pk).exists()
    support = api_client_for(tenant, "support")
    spare = device_of(tenant)
    assert support.delete(f"/api/v1/devices/{spare.pk}/").status_code == 403


def test_the_admin_explains_a_refused_delete(tenant: Any, make_staff: Any, client: Any) -> None:
    client.force_login(make_staff(tenant, "admin"))
    site = site_of(tenant)
    sites.create_sector(tenant=tenant, site=site, name="East", azimuth=90)
    answer = client.post(f"/admin/network/site/{site.pk}/delete/", {"post": "yes"}, follow=True)
    assert answer.status_code == 200
    assert "is in use by sectors Hill / East" in answer.content.decode()
    assert Site.objects.filter(pk=site.pk).exists()
    empty = site_of(tenant, "Valley")
    answer = client.post(f"/admin/network/site/{empty.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not Site.objects.filter(pk=empty.pk).exists()
    listing = client.get("/admin/network/site/")
    assert "delete_selected" not in listing.content.decode()


# --- a NAS's site and device -------------------------------------------------


def test_nas_site_and_device_through_the_service(tenant: Any, make_tenant: Any) -> None:
    site = site_of(tenant)
    router = device_of(tenant, site=site)
    nas = nas_of(tenant, site=site.pk, device=router.pk)
    assert (nas.site, nas.device) == (site, router)
    assert Nas.objects.get(pk=nas.pk).device == router

    olt = device_of(tenant, role="olt")
    with pytest.raises(InvalidInput, match="not a router") as bad:
        update_nas(nas=nas, device=olt)
    assert bad.value.field == "device"
    with pytest.raises(Conflict) as taken:
        nas_of(tenant, device=router)
    assert taken.value.field == "device"
    elsewhere = site_of(tenant, "Valley")
    with pytest.raises(InvalidInput, match="at site 'Hill'") as misplaced:
        update_nas(nas=nas, site=elsewhere)
    assert misplaced.value.field == "device"
    other = make_tenant()
    with pytest.raises(NotFound) as foreign:
        update_nas(nas=nas, site=site_of(other))
    assert foreign.value.field == "site"
    with pytest.raises(NotFound):
        update_nas(nas=nas, device=device_of(other))
    cleared = update_nas(nas=nas, device=None, site=None)
    assert (cleared.site, cleared.device) == (None, None)


def test_nas_site_and_device_through_the_api_and_admin(
    tenant: Any, make_tenant: Any, api_client_for: Any, make_staff: Any, client: Any
) -> None:
    noc = api_client_for(tenant, "noc")
    site = site_of(tenant)
    router = device_of(tenant, site=site)
    made = noc.post(
        "/api/v1/nas/",
        {
            "nasname": "198.51.100.7",
            "shortname": "bng-hill",
            "secret": "s3cret-s3cret",
            "site": site.pk,
            "device": router.pk,
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert (made.json()["site"], made.json()["device"]) == (site.pk, router.pk)
    nas_id = made.json()["id"]
    cpe = device_of(tenant, role="cpe")
    bad = noc.patch(f"/api/v1/nas/{nas_id}/", {"device": cpe.pk}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "device"
    foreign = noc.patch(
        f"/api/v1/nas/{nas_id}/", {"site": site_of(make_tenant()).pk}, format="json"
    )
    assert foreign.status_code in (400, 404) and foreign.json()["field"] == "site"
    taken = noc.post(
        "/api/v1/nas/",
        {
            "nasname": "198.51.100.8",
            "shortname": "b2",
            "secret": "s3cret-s3cret",
            "device": router.pk,
        },
        format="json",
    )
    assert taken.status_code == 409 and taken.json()["field"] == "device"

    client.force_login(make_staff(tenant, "admin"))
    form = client.get(f"/admin/network/nas/{nas_id}/change/").content.decode()
    assert 'name="site"' in form and 'name="device"' in form
    answer = client.post(
        f"/admin/network/nas/{nas_id}/change/",
        {
            "nasname": "198.51.100.7",
            "shortname": "bng-hill",
            "type": "other",
            "site": site.pk,
            "device": cpe.pk,
        },
    )
    assert answer.status_code == 200  # the form again, with the device's error
    assert "not a router" in answer.content.decode()
    assert Nas.objects.get(pk=nas_id).device == router


def test_a_site_with_an_outage_on_record_is_kept(tenant: Any, api_client_for: Any) -> None:
    from ispstack.tickets.outages import services as outages

    site = site_of(tenant)
    outage = outages.declare_outage(tenant=tenant, site=site, cause="power")
    outages.resolve_outage(outage=outage)
    with pytest.raises(Conflict) as refused:
        removal.delete_site(site=site)
    assert refused.value.field == "site" and outage.number in str(refused.value)
    response = api_client_for(tenant).delete(f"/api/v1/sites/{site.pk}/")
    assert response.status_code == 409, response.content
    assert Site.objects.filter(pk=site.pk).exists()
    assert not AuditLog.objects.filter(action="site.delete").exists()
