"""Secrets are write-only: the NAS shared secret, the subscription's PPPoE
password (also radcheck's Cleartext-Password) appear in no API response and
on no admin page, for any role; the admin shows "set / not set" and takes a
new value; admin and noc may reveal one on purpose, and each reveal is in the
audit log with the actor, the object and the field, never the value."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from ispstack.api.tokens import create_token
from ispstack.core.models import AuditLog
from ispstack.core.roles import ROLES
from ispstack.network.models import Nas
from ispstack.network.nas import update_nas
from ispstack.radius.models import RadCheck
from ispstack.subscriptions.services import change_password
from tests.api_world import World

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Quokka-7731"
SECRET = "nas-Wombat-5519"
DEVICE_PASSWORD = "olt-Numbat-2217"  # the OLT of tests.api_world's inventory
REVEALS = {"/api/v1/nas/{id}/reveal-secret/", "/api/v1/subscriptions/{id}/reveal-password/"}
MAY_REVEAL = {"admin", "noc"}


@pytest.fixture
def world(tenant, make_plan, make_subscription) -> World:
    built = World(tenant, APIClient(), {"plan": make_plan, "subscription": make_subscription})
    built.add_rows_behind_every_route()
    change_password(subscription=built.sub, password=PASSWORD)
    built.nas = update_nas(nas=built.nas, secret=SECRET)
    assert RadCheck.objects.filter(username=built.sub.username, value=PASSWORD).exists()
    return built


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=user, name='tests')[1]}")
    return client


def _leaks(content: bytes) -> list[str]:
    return [s for s in (PASSWORD, SECRET, DEVICE_PASSWORD) if s.encode() in content]


def test_no_api_response_shows_a_secret(world, make_staff):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    reads = [p for p, ops in schema["paths"].items() if "get" in ops]
    users = {role: make_staff(world.tenant, role) for role in ROLES}
    users["platform"] = make_staff(None, role="", is_superuser=True)
    found, answered = [], 0
    for who, user in users.items():
        client = _api(user)
        for path in reads:
            response = client.get(world.url(path))
            answered += response.status_code == 200
            found += [f"{who} GET {path}: {s}" for s in _leaks(response.content)]
        # Writes answer the written object: a NAS patch and a password change
        # echo no secret either.
        response = client.patch(f"/api/v1/nas/{world.nas.pk}/", {"description": "rack 2"})
        found += [f"{who} PATCH nas: {s}" for s in _leaks(response.content)]
    assert found == []
    assert answered > 100


def test_no_admin_page_shows_a_secret(world, make_staff):
    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        try:
            pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        except NoReverseMatch:
            continue
    rows = [
        ("network", "nas", world.nas.pk),
        ("subscriptions", "subscription", world.sub.pk),
        ("network", "device", world.inventory.olt.pk),
        *[("radius", "radcheck", pk) for pk in RadCheck.objects.values_list("pk", flat=True)],
    ]
    pages += [reverse(f"admin:{app}_{model}_change", args=[pk]) for app, model, pk in rows]
    found, shown = [], 0
    for role in [*ROLES, "platform"]:
        user = (
            make_staff(None, role="", is_superuser=True)
            if role == "platform"
            else make_staff(world.tenant, role)
        )
        client = Client()
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            shown += response.status_code == 200
            found += [f"{role} {url}: {s}" for s in _leaks(response.content)]
    assert found == []
    assert shown > 100


def test_the_admin_says_whether_a_secret_is_set_and_replaces_it(world, make_staff):
    client = Client()
    client.force_login(make_staff(world.tenant, "noc"))
    url = reverse("admin:network_nas_change", args=[world.nas.pk])
    page = client.get(url).content.decode()
    assert "The current secret is set" in page
    assert 'name="replace_secret"' in page
    form = {
        "nasname": world.nas.nasname,
        "shortname": world.nas.shortname,
        "type": world.nas.type,
        "coa_port": "",
        "description": "",
        "replace_secret": "",
    }
    assert client.post(url, form).status_code == 302
    world.nas.refresh_from_db()
    assert world.nas.secret == SECRET  # empty keeps the secret
    assert client.post(url, {**form, "replace_secret": "a-new-secret-42"}).status_code == 302
    world.nas.refresh_from_db()
    assert world.nas.secret == "a-new-secret-42"


def test_the_admin_takes_a_device_password_write_only(world, make_staff):
    client = Client()
    client.force_login(make_staff(world.tenant, "noc"))
    olt = world.inventory.olt
    url = reverse("admin:network_device_change", args=[olt.pk])
    page = client.get(url).content.decode()
    assert 'name="replace_password"' in page and DEVICE_PASSWORD not in page
    form = {"role": "olt", "name": "OLT 1", "serial": "OLT-1", "replace_password": "new-Olt-99"}
    assert client.post(url, form).status_code == 302
    olt.refresh_from_db()
    assert olt.password == "new-Olt-99"
    assert AuditLog.objects.filter(action="device.password_changed").exists()
    duplicate = client.post(
        reverse("admin:network_device_add"), {"role": "cpe", "name": "x", "serial": "olt-1"}
    )
    assert duplicate.status_code == 200 and "serial OLT-1 exists" in duplicate.content.decode()


@pytest.mark.parametrize("role", list(ROLES))
def test_reveal_through_the_api_for_allowed_roles_only(world, make_staff, role):
    user = make_staff(world.tenant, role)
    client = _api(user)
    secret = client.post(f"/api/v1/nas/{world.nas.pk}/reveal-secret/")
    password = client.post(f"/api/v1/subscriptions/{world.sub.pk}/reveal-password/")
    log = AuditLog.objects.filter(actor=user, action__contains="reveal")
    if role in MAY_REVEAL:
        assert secret.json() == {"secret": SECRET}
        assert password.json() == {"password": PASSWORD}
        assert sorted(log.values_list("action", "object_id", "after")) == [
            ("nas.reveal_secret", str(world.nas.pk), {"field": "secret"}),
            ("subscription.reveal_password", str(world.sub.pk), {"field": "password"}),
        ]
        assert all(_leaks(repr(row.__dict__).encode()) == [] for row in log)
    else:
        assert (secret.status_code, password.status_code) == (403, 403)
        assert not log.exists()


@pytest.mark.parametrize("role", list(ROLES))
def test_reveal_in_the_admin_for_allowed_roles_only(world, make_staff, role):
    user = make_staff(world.tenant, role)
    client = Client()
    client.force_login(user)
    changelist = reverse("admin:subscriptions_subscription_changelist")
    response = client.post(
        changelist, {"action": "reveal_password", "_selected_action": [world.sub.pk]}
    )
    log = AuditLog.objects.filter(actor=user, action="subscription.reveal_password")
    if role in MAY_REVEAL:
        assert PASSWORD in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert list(log.values_list("object_id", "after")) == [
            (str(world.sub.pk), {"field": "password"})
        ]
    else:
        assert PASSWORD not in response.content.decode()
        assert not log.exists()


def test_a_nas_of_no_tenant_cannot_be_revealed(world, make_staff):
    from ispstack.core.errors import Conflict
    from ispstack.network.nas import reveal_secret

    orphan = Nas.objects.create(nasname="192.0.2.99", shortname="stock", secret="x" * 12)
    with pytest.raises(Conflict):
        reveal_secret(nas=orphan, actor=make_staff(world.tenant, "noc"))
