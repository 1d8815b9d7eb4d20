"""IPv4 pools and IPv6 prefix pools through the API: create, list, change,
delete, and how full they are once sign-ups take addresses and prefixes."""

from __future__ import annotations

import pytest

from ispstack.core.models import AuditLog
from ispstack.network.models import IPPool, PrefixPool
from ispstack.subscriptions.services import terminate

pytestmark = pytest.mark.django_db


def test_an_ipv4_pool_counts_what_sign_ups_take(tenant, api_client_for, make_subscription):
    client = api_client_for(tenant, "noc")
    created = client.post(
        "/api/v1/ip-pools/",
        {
            "name": "bng1-static",
            "cidr": "100.64.200.0/29",
            "gateway": "100.64.200.1",
            "excluded": ["100.64.200.2"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pool_id = created.json()["id"]
    listed = client.get("/api/v1/ip-pools/").json()["results"]
    assert [(p["name"], p["cidr"], p["excluded"]) for p in listed] == [
        ("bng1-static", "100.64.200.0/29", ["100.64.200.2"])
    ]

    subs = [make_subscription(tenant, pool=pool_id) for _ in range(3)]
    # .0 and .7 are network and broadcast, .1 the gateway, .2 excluded.
    assert [s.ip_address.address for s in subs] == ["100.64.200.3", "100.64.200.4", "100.64.200.5"]
    figures = client.get(f"/api/v1/ip-pools/{pool_id}/utilisation/").json()
    assert figures == {
        "unit_length": 32,
        "size": 4,
        "allocated": 3,
        "free": 1,
        "percent": "75.00",
    }

    terminate(subscription=subs[1], reason="moved")
    figures = client.get(f"/api/v1/ip-pools/{pool_id}/utilisation/").json()
    assert (figures["allocated"], figures["free"], figures["percent"]) == (2, 2, "50.00")
    assert make_subscription(tenant, pool=pool_id).ip_address.address == "100.64.200.4"


def test_a_prefix_pool_counts_prefixes_of_its_assigned_length(
    tenant, api_client_for, make_subscription
):
    client = api_client_for(tenant, "noc")
    created = client.post(
        "/api/v1/prefix-pools/",
        {"name": "pd", "prefix": "2001:db8:100::/52", "assign_length": 56, "kind": "delegated"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pool_id = created.json()["id"]
    empty = client.get(f"/api/v1/prefix-pools/{pool_id}/utilisation/").json()
    assert (empty["unit_length"], empty["size"], empty["allocated"]) == (56, 16, 0)

    from_pool = make_subscription(tenant, delegated_ipv6_pool=pool_id)
    assert from_pool.delegated_ipv6_prefix == "2001:db8:100::/56"
    # A /60 set by hand takes the /56 around it; a /54 takes four /56s.
    make_subscription(tenant, delegated_ipv6_prefix="2001:db8:100:f00::/60")
    make_subscription(tenant, delegated_ipv6_prefix="2001:db8:100:800::/54")
    # Outside the pool: not counted.
    make_subscription(tenant, delegated_ipv6_prefix="2001:db8:200::/56")
    figures = client.get(f"/api/v1/prefix-pools/{pool_id}/utilisation/").json()
    assert figures == {
        "unit_length": 56,
        "size": 16,
        "allocated": 6,
        "free": 10,
        "percent": "37.50",
    }


def test_another_tenants_pools_are_not_found(tenant, make_tenant, api_client_for, make_pool):
    mine = make_pool(tenant, "100.64.201.0/24")
    other = make_tenant()
    theirs = make_pool(other, "100.64.202.0/24")
    client = api_client_for(tenant, "noc")
    assert [p["id"] for p in client.get("/api/v1/ip-pools/").json()["results"]] == [mine.pk]
    for response in (
        client.get(f"/api/v1/ip-pools/{theirs.pk}/"),
        client.get(f"/api/v1/ip-pools/{theirs.pk}/utilisation/"),
        client.patch(f"/api/v1/ip-pools/{theirs.pk}/", {"name": "mine now"}, format="json"),
        client.delete(f"/api/v1/ip-pools/{theirs.pk}/"),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert IPPool.objects.get(pk=theirs.pk).name == theirs.name


def test_overlapping_pools_are_refused_with_409_naming_the_field(
    tenant, make_tenant, api_client_for
):
    client = api_client_for(tenant, "admin")
    client.post("/api/v1/ip-pools/", {"name": "a", "cidr": "100.64.0.0/22"}, format="json")
    small = client.post("/api/v1/ip-pools/", {"name": "b", "cidr": "100.64.8.0/24"}, format="json")
    for path, body, field in [
        ("/api/v1/ip-pools/", {"name": "c", "cidr": "100.64.2.0/24"}, "cidr"),
        ("/api/v1/ip-pools/", {"name": "a", "cidr": "100.64.9.0/24"}, "name"),
        (f"/api/v1/ip-pools/{small.json()['id']}/", {"cidr": "100.64.0.0/16"}, "cidr"),
    ]:
        method = client.post if path.endswith("ip-pools/") else client.patch
        refused = method(path, body, format="json")
        assert (refused.status_code, refused.json()["field"]) == (409, field), refused.json()
        assert "overlaps pool 'a'" in refused.json()["detail"] or field == "name"
    client.post(
        "/api/v1/prefix-pools/",
        {"name": "links", "prefix": "2001:db8:1::/48", "assign_length": 64, "kind": "framed"},
        format="json",
    )
    refused = client.post(
        "/api/v1/prefix-pools/",
        {"name": "more", "prefix": "2001:db8::/32", "assign_length": 64, "kind": "framed"},
        format="json",
    )
    assert (refused.status_code, refused.json()["field"]) == (409, "prefix")
    # Another ISP may use the same private range.
    other = api_client_for(make_tenant(), "admin")
    same = other.post("/api/v1/ip-pools/", {"name": "a", "cidr": "100.64.0.0/22"}, format="json")
    assert same.status_code == 201
    assert IPPool.objects.filter(tenant=tenant).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "p", "cidr": "100.64.0.1/24"}, "cidr"),  # host bits set
        ({"name": "p", "cidr": "not a network"}, "cidr"),
        ({"name": "p", "cidr": "2001:db8::/48"}, "cidr"),
        ({"name": "p", "cidr": "10.0.0.0/7"}, "cidr"),
        ({"name": "p", "cidr": "100.64.0.0/33"}, "cidr"),
        ({"name": "p", "cidr": "100.64.0.0/24", "gateway": "100.64.1.1"}, "gateway"),
        ({"name": "p", "cidr": "100.64.0.0/24", "gateway": "100.64.0.300"}, "gateway"),
        ({"name": "p", "cidr": "100.64.0.0/24", "excluded": ["100.65.0.1"]}, "excluded"),
        ({"name": "p", "cidr": "100.64.0.0/24", "excluded": "100.64.0.5"}, "excluded"),
        ({"name": "", "cidr": "100.64.0.0/24"}, "name"),
        ({"name": "p"}, "cidr"),
    ],
)
def test_a_bad_ipv4_pool_is_refused_naming_the_field(tenant, api_client_for, body, field):
    refused = api_client_for(tenant, "noc").post("/api/v1/ip-pools/", body, format="json")
    assert refused.status_code == 400, refused.json()
    assert refused.json()["field"] == field
    assert not IPPool.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prefix": "2001:db8::1/48", "assign_length": 64, "kind": "framed"}, "prefix"),
        ({"prefix": "100.64.0.0/24", "assign_length": 30, "kind": "framed"}, "prefix"),
        ({"prefix": "2001:db8::/48", "assign_length": 48, "kind": "framed"}, "assign_length"),
        ({"prefix": "2001:db8::/48", "assign_length": 72, "kind": "delegated"}, "assign_length"),
        ({"prefix": "2001:db8::/48", "assign_length": 129, "kind": "framed"}, "assign_length"),
        ({"prefix": "2001:db8::/48", "assign_length": 64, "kind": "nat"}, "kind"),
    ],
)
def test_a_bad_prefix_pool_is_refused_naming_the_field(tenant, api_client_for, body, field):
    client = api_client_for(tenant, "noc")
    refused = client.post("/api/v1/prefix-pools/", {"name": "p", **body}, format="json")
    assert refused.status_code == 400, refused.json()
    assert refused.json()["field"] == field
    assert not PrefixPool.objects.exists()


def test_a_change_never_takes_back_an_address_in_use(tenant, api_client_for, make_subscription):
    client = api_client_for(tenant, "noc")
    pool_id = client.post(
        "/api/v1/ip-pools/", {"name": "p", "cidr": "100.64.210.0/28"}, format="json"
    ).json()["id"]
    held = make_subscription(tenant, pool=pool_id).ip_address.address
    assert held == "100.64.210.1"
    for body, field in [
        ({"cidr": "100.64.210.8/29"}, "cidr"),
        ({"cidr": "100.64.210.0/32"}, "cidr"),
        ({"gateway": held}, "gateway"),
        ({"excluded": ["100.64.210.9", held]}, "excluded"),
    ]:
        refused = client.patch(f"/api/v1/ip-pools/{pool_id}/", body, format="json")
        assert (refused.status_code, refused.json()["field"]) == (409, field), refused.json()
        assert "handed out" in refused.json()["detail"]
    changed = client.patch(
        f"/api/v1/ip-pools/{pool_id}/",
        {"cidr": "100.64.210.0/27", "excluded": ["100.64.210.9"], "description": "bng1"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["description"] == "bng1"
    figures = client.get(f"/api/v1/ip-pools/{pool_id}/utilisation/").json()
    assert (figures["size"], figures["allocated"]) == (29, 1)  # 32 - network, broadcast, .9
    log = AuditLog.objects.get(action="ip_pool.update")
    assert (log.before["cidr"], log.after["cidr"]) == ("100.64.210.0/28", "100.64.210.0/27")


def test_a_pool_in_use_is_not_deleted(tenant, api_client_for, make_subscription):
    client = api_client_for(tenant, "noc")
    pool_id = client.post(
        "/api/v1/ip-pools/", {"name": "p", "cidr": "100.64.220.0/24"}, format="json"
    ).json()["id"]
    sub = make_subscription(tenant, pool=pool_id)
    refused = client.delete(f"/api/v1/ip-pools/{pool_id}/")
    assert refused.status_code == 409
    assert "1 address(es) handed out" in refused.json()["detail"]
    terminate(subscription=sub, reason="moved")
    # The terminated subscription's history still names the pool.
    refused = client.delete(f"/api/v1/ip-pools/{pool_id}/")
    assert refused.status_code == 409
    assert "named by 1 subscription(s)" in refused.json()["detail"]
    assert IPPool.objects.filter(pk=pool_id).exists()

    spare = client.post(
        "/api/v1/ip-pools/", {"name": "spare", "cidr": "100.64.221.0/24"}, format="json"
    ).json()["id"]
    assert client.delete(f"/api/v1/ip-pools/{spare}/").status_code == 204
    assert not IPPool.objects.filter(pk=spare).exists()
    assert AuditLog.objects.filter(action="ip_pool.delete").count() == 1

    pd = client.post(
        "/api/v1/prefix-pools/",
        {"name": "pd", "prefix": "2001:db8:300::/48", "assign_length": 56, "kind": "delegated"},
        format="json",
    ).json()["id"]
    holder = make_subscription(tenant, delegated_ipv6_pool=pd)
    refused = client.delete(f"/api/v1/prefix-pools/{pd}/")
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert "1 prefix(es) held" in refused.json()["detail"]
    terminate(subscription=holder, reason="moved")
    assert client.delete(f"/api/v1/prefix-pools/{pd}/").status_code == 204
    assert not PrefixPool.objects.exists()


def test_a_prefix_pool_changes_only_its_name_and_description(tenant, api_client_for):
    client = api_client_for(tenant, "noc")
    pd = client.post(
        "/api/v1/prefix-pools/",
        {"name": "pd", "prefix": "2001:db8:400::/48", "assign_length": 56, "kind": "delegated"},
        format="json",
    ).json()["id"]
    client.post(
        "/api/v1/prefix-pools/",
        {"name": "other", "prefix": "2001:db8:500::/48", "assign_length": 56, "kind": "delegated"},
        format="json",
    )
    renamed = client.patch(
        f"/api/v1/prefix-pools/{pd}/", {"name": "pd-bng1", "description": "BNG 1"}, format="json"
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["prefix"]) == ("pd-bng1", "2001:db8:400::/48")
    refused = client.patch(f"/api/v1/prefix-pools/{pd}/", {"prefix": "2001:db8:600::/48"})
    assert (refused.status_code, refused.json()["field"]) == (400, "prefix")
    taken = client.patch(f"/api/v1/prefix-pools/{pd}/", {"name": "other"}, format="json")
    assert (taken.status_code, taken.json()["field"]) == (409, "name")


def test_billing_sees_no_pools(tenant, api_client_for, make_pool):
    pool = make_pool(tenant)
    client = api_client_for(tenant, "billing")
    assert client.get("/api/v1/ip-pools/").status_code == 403
    assert client.get("/api/v1/prefix-pools/").status_code == 403
    assert client.delete(f"/api/v1/ip-pools/{pool.pk}/").status_code == 403
    assert IPPool.objects.filter(pk=pool.pk).exists()


def test_support_reads_pools_and_changes_none(tenant, api_client_for, make_pool):
    pool = make_pool(tenant)
    client = api_client_for(tenant, "support")
    assert client.get("/api/v1/ip-pools/").status_code == 200
    assert client.get(f"/api/v1/ip-pools/{pool.pk}/utilisation/").status_code == 200
    assert client.delete(f"/api/v1/ip-pools/{pool.pk}/").status_code == 403
    assert client.patch(f"/api/v1/ip-pools/{pool.pk}/", {"name": "x"}).status_code == 403
    assert IPPool.objects.get(pk=pool.pk).name == pool.name
