"""The NAS registry and subscriber access (NAS, IPv6 prefixes) through the API."""

from __future__ import annotations

import pytest

from ispstack.core.models import AuditLog
from ispstack.network.models import Nas
from ispstack.radius.models import RadUserGroup
from ispstack.radius.selectors import effective_reply

pytestmark = pytest.mark.django_db


def test_nas_secret_is_write_only_and_bad_input_names_the_field(tenant, api_client_for):
    client = api_client_for(tenant, "noc")
    created = client.post(
        "/api/v1/nas/",
        {"nasname": "192.0.2.10", "shortname": "bras-1", "type": "cisco", "secret": "s3cret-nas"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert "secret" not in created.json()
    assert all("secret" not in row for row in client.get("/api/v1/nas/").json()["results"])
    nas = Nas.objects.get(pk=created.json()["id"])
    assert nas.secret == "s3cret-nas"

    for body, expected in [
        ({"nasname": "not-an-ip", "shortname": "x", "secret": "long-enough"}, (400, "nasname")),
        ({"nasname": "192.0.2.11", "shortname": "x", "secret": "short"}, (400, "secret")),
        ({"nasname": "192.0.2.10", "shortname": "x", "secret": "long-enough"}, (409, "nasname")),
        (
            {"nasname": "192.0.2.12", "shortname": "x", "secret": "long-enough", "type": "ap"},
            (400, "type"),
        ),
        (
            {"nasname": "192.0.2.13", "shortname": "x", "secret": "long-enough", "coa_port": 70000},
            (400, "coa_port"),
        ),
    ]:
        refused = client.post("/api/v1/nas/", body, format="json")
        assert (refused.status_code, refused.json()["field"]) == expected
    assert Nas.objects.count() == 1

    client.patch(f"/api/v1/nas/{nas.pk}/", {"secret": "an0ther-secret"}, format="json")
    log = AuditLog.objects.filter(action="nas.update").get()
    assert "an0ther-secret" not in str(log.after) and log.after["secret"] == "changed"


def test_a_new_nas_type_rewrites_the_rate_attributes_of_its_subscribers(
    tenant, api_client_for, make_subscription, make_plan
):
    """The NAS lives below subscriptions; radius hears of the new type through
    an event and rewrites the rows of the subscribers on it, in the same commit."""
    plan = make_plan(tenant, download_kbps=20000, upload_kbps=5000)
    client = api_client_for(tenant, "noc")
    created = client.post(
        "/api/v1/nas/",
        {"nasname": "192.0.2.30", "shortname": "mt", "type": "mikrotik", "secret": "s3cret-nas"},
        format="json",
    ).json()
    on_it = make_subscription(tenant, plan=plan)
    elsewhere = make_subscription(tenant, plan=plan)
    moved = client.post(
        f"/api/v1/subscriptions/{on_it.pk}/access/", {"nas": created["id"]}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert effective_reply(on_it.username)["Mikrotik-Rate-Limit"] == ["5M/20M"]

    changed = client.patch(f"/api/v1/nas/{created['id']}/", {"type": "other"}, format="json")

    assert changed.status_code == 200, changed.json()
    reply = effective_reply(on_it.username)
    assert reply["WISPr-Bandwidth-Max-Down"] == ["20000000"]
    assert "Mikrotik-Rate-Limit" not in reply
    assert effective_reply(elsewhere.username)["Mikrotik-Rate-Limit"] == ["5M/20M"]


def test_moving_a_subscriber_to_another_nas_type_changes_its_group(
    tenant, api_client_for, make_subscription, make_plan, run_on_commit
):
    from ispstack.core.models import Job

    plan = make_plan(tenant, download_kbps=20000, upload_kbps=5000)
    sub = make_subscription(tenant, plan=plan)
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["5M/20M"]
    nas = Nas.objects.create(
        tenant=tenant, nasname="192.0.2.20", shortname="gen", type="other", secret="x" * 10
    )
    client = api_client_for(tenant, "noc")
    moved = client.post(
        f"/api/v1/subscriptions/{sub.pk}/access/",
        {"nas": nas.pk, "framed_ipv6_prefix": "2001:db8:5::/64"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    reply = client.get(f"/api/v1/subscriptions/{sub.pk}/radius-reply/").json()["attributes"]
    assert reply["WISPr-Bandwidth-Max-Down"] == ["20000000"]
    assert reply["Framed-IPv6-Prefix"] == ["2001:db8:5::/64"]
    assert "Mikrotik-Rate-Limit" not in reply
    assert (
        RadUserGroup.objects.get(username=sub.username).groupname
        == f"{tenant.slug}/{plan.code}/other"
    )
    assert Job.objects.filter(kind="radius.disconnect", payload__username=sub.username).exists()

    other = make_subscription(tenant)
    clash = client.post(
        f"/api/v1/subscriptions/{other.pk}/access/",
        {"delegated_ipv6_prefix": "2001:db8:5::/56"},
        format="json",
    )
    assert (clash.status_code, clash.json()["field"]) == (409, "delegated_ipv6_prefix")
    bad = client.post(
        f"/api/v1/subscriptions/{other.pk}/access/",
        {"framed_ipv6_prefix": "10.0.0.0/24"},
        format="json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "framed_ipv6_prefix")
    foreign = client.post(
        f"/api/v1/subscriptions/{other.pk}/access/", {"nas": 999999}, format="json"
    )
    assert (foreign.status_code, foreign.json()["field"]) == (404, "nas")


def test_a_renamed_plan_moves_its_subscribers_and_drops_the_old_groups(
    tenant, make_plan, make_subscription
):
    from ispstack.catalog.services import update_plan
    from ispstack.radius.models import RadGroupReply

    plan = make_plan(tenant, code="old-code")
    sub = make_subscription(tenant, plan=plan)
    update_plan(plan=plan, code="new-code")
    assert RadUserGroup.objects.get(username=sub.username).groupname == (
        f"{tenant.slug}/new-code/mikrotik"
    )
    groups = set(RadGroupReply.objects.filter(tenant=tenant).values_list("groupname", flat=True))
    assert not any("/old-code/" in g for g in groups)
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["10M/50M"]


def test_prefix_pools_hand_out_the_lowest_free_prefix_and_take_it_back(
    tenant, make_subscription, api_client_for
):
    from ispstack.core.errors import Conflict, InvalidInput
    from ispstack.network.prefixes import create_prefix_pool
    from ispstack.subscriptions.services import terminate

    pd = create_prefix_pool(
        tenant=tenant, name="pd", prefix="2001:db8:100::/54", assign_length=56, kind="delegated"
    )
    framed = create_prefix_pool(
        tenant=tenant, name="links", prefix="2001:db8:1::/48", assign_length=64, kind="framed"
    )
    for bad, field in [
        ({"prefix": "10.0.0.0/8", "assign_length": 24, "kind": "framed"}, "prefix"),
        ({"prefix": "2001:db9::/48", "assign_length": 40, "kind": "framed"}, "assign_length"),
        ({"prefix": "2001:db8:100::/56", "assign_length": 64, "kind": "framed"}, "prefix"),
        ({"prefix": "2001:db9::/48", "assign_length": 64, "kind": "nat"}, "kind"),
    ]:
        with pytest.raises((InvalidInput, Conflict)) as err:
            create_prefix_pool(tenant=tenant, name="x", **bad)
        assert err.value.field == field

    first = make_subscription(tenant, delegated_ipv6_pool=pd.pk, framed_ipv6_pool=framed.pk)
    manual = make_subscription(tenant, delegated_ipv6_prefix="2001:db8:100:100::/56")
    second = make_subscription(tenant, delegated_ipv6_pool=pd.pk)
    assert (first.delegated_ipv6_prefix, first.framed_ipv6_prefix) == (
        "2001:db8:100::/56",
        "2001:db8:1::/64",
    )
    assert second.delegated_ipv6_prefix == "2001:db8:100:200::/56"  # :100 is held by hand
    assert effective_reply(first.username)["Delegated-IPv6-Prefix"] == ["2001:db8:100::/56"]

    terminate(subscription=first, reason="moved")
    client = api_client_for(tenant, "noc")
    moved = client.post(
        f"/api/v1/subscriptions/{manual.pk}/access/",
        {"delegated_ipv6_prefix": None, "framed_ipv6_pool": framed.pk},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["framed_ipv6_prefix"] == "2001:db8:1::/64"  # freed by the termination
    wrong_kind = client.post(
        f"/api/v1/subscriptions/{manual.pk}/access/", {"delegated_ipv6_pool": framed.pk}
    )
    assert (wrong_kind.status_code, wrong_kind.json()["field"]) == (404, "delegated_ipv6_pool")


def test_subscription_admin_offers_the_tenants_nas_and_prefix_pools(
    tenant, make_tenant, make_staff, make_subscription, client
):
    from ispstack.network.prefixes import create_prefix_pool

    other = make_tenant()
    create_prefix_pool(
        tenant=tenant, name="pd-mine", prefix="2001:db8:7::/48", assign_length=56, kind="delegated"
    )
    create_prefix_pool(
        tenant=other, name="pd-theirs", prefix="2001:db8:8::/48", assign_length=56, kind="delegated"
    )
    Nas.objects.create(tenant=other, nasname="192.0.2.99", shortname="their-bras", secret="x" * 9)
    client.force_login(make_staff(tenant, "admin"))
    sub = make_subscription(tenant)
    for url in (
        "/admin/subscriptions/subscription/add/",
        f"/admin/subscriptions/subscription/{sub.pk}/change/",
    ):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "pd-mine" in html and "delegated_ipv6_pool" in html
        assert "pd-theirs" not in html and "their-bras" not in html


def test_migrate_moves_subscribers_of_an_older_database_into_plan_groups(tenant, make_subscription):
    from django.core.management import call_command

    from ispstack.radius.models import RadReply

    sub = make_subscription(tenant)
    # What a database from before plan groups held: the rate per user, no group.
    RadUserGroup.objects.filter(username=sub.username).delete()
    RadReply.objects.create(
        tenant=tenant,
        username=sub.username,
        attribute="Mikrotik-Rate-Limit",
        op=":=",
        value="1M/1M",
    )
    call_command("migrate", verbosity=0)
    assert RadUserGroup.objects.filter(username=sub.username).count() == 1
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["10M/50M"]
