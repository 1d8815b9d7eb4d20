"""The tenant's provisioning adapter settings: defaults that configure nothing
(and a router in dry run), checks that name the field, credentials stored
encrypted and write-only on the tenant's admin page, and the adapters built
from them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import CheckboxInput
from django.test import Client
from django.urls import reverse

from ispstack.core.models import Tenant
from ispstack.provisioning import selectors
from ispstack.provisioning.adapters.base import AdapterError, Adapters
from ispstack.provisioning.adapters.genieacs import GenieAcs
from ispstack.provisioning.adapters.mikrotik import MikroTikRouter
from ispstack.provisioning.adapters.netbox import NetBoxIpam
from ispstack.provisioning.adapters.registry import adapters_for, check_connections
from tests.genieacs_recorded import Reply, recorded_nbi
from tests.routeros_fake import fake_routeros

pytestmark = pytest.mark.django_db


def configured(tenant: Tenant, **values: Any):
    row = selectors.settings_for(tenant)
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


def test_a_new_tenant_has_no_adapter_and_a_router_would_be_in_dry_run(tenant):
    assert adapters_for(tenant) == Adapters(ipam=None, acs=None, router=None)
    assert selectors.settings_for(tenant).router_dry_run is True


def test_configured_systems_get_their_adapters(tenant):
    configured(
        tenant,
        ipam_backend="netbox",
        netbox_url="https://netbox.example.net",
        netbox_token="nbt_abc.def",
        netbox_prefix="100.64.0.0/22",
        genieacs_url="http://acs.example.net:7557",
        mikrotik_host="core-1.example.net",
        mikrotik_username="ispstack",
        mikrotik_password="router-pw",
        timeout_seconds=5,
    )
    adapters = adapters_for(Tenant.objects.get(pk=tenant.pk))
    assert isinstance(adapters.ipam, NetBoxIpam)
    assert adapters.ipam.default_prefix == "100.64.0.0/22" and adapters.ipam.tag == "ispstack"
    assert adapters.ipam.api.token == "nbt_abc.def"
    assert isinstance(adapters.acs, GenieAcs) and adapters.acs.timeout == 5
    assert isinstance(adapters.router, MikroTikRouter)
    assert adapters.router.dry_run is True and adapters.router.password == "router-pw"


def test_credentials_are_encrypted_at_rest(tenant):
    configured(tenant, genieacs_url="http://acs:7557", genieacs_username="ops")
    configured(tenant, genieacs_password="acs-pass-123")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT genieacs_password FROM provisioning_provisioningsettings WHERE tenant_id = %s",
            [tenant.pk],
        )
        (stored,) = cursor.fetchone()
    assert "acs-pass-123" not in stored
    assert selectors.settings_for(Tenant.objects.get(pk=tenant.pk)).genieacs_password == (
        "acs-pass-123"
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"ipam_backend": "netbox"}, "netbox_url"),
        ({"ipam_backend": "netbox", "netbox_url": "https://nb"}, "netbox_token"),
        (
            {"ipam_backend": "netbox", "netbox_url": "https://nb", "netbox_token": "t"},
            "netbox_prefix",
        ),
        ({"netbox_url": "ftp://netbox.example.net"}, "netbox_url"),
        ({"genieacs_url": "javascript:alert(1)"}, "genieacs_url"),
        ({"netbox_prefix": "100.64.0.1/22"}, "netbox_prefix"),
        ({"netbox_prefix": "not a network"}, "netbox_prefix"),
        ({"mikrotik_host": "core 1", "mikrotik_username": "api"}, "mikrotik_host"),
        ({"mikrotik_host": "core-1"}, "mikrotik_username"),
        ({"mikrotik_password": "pw"}, "mikrotik_host"),
        ({"mikrotik_port": 70000}, "mikrotik_port"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"genieacs_password": "pw"}, "genieacs_username"),
        ({"mikrotik_suspended_list": " "}, "mikrotik_suspended_list"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(tenant, values, field):
    row = selectors.settings_for(tenant)
    for name, value in values.items():
        setattr(row, name, value)
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert field in caught.value.message_dict


def test_netbox_chosen_without_its_settings_blocks_instead_of_guessing(tenant):
    # Saved around the checks (a script, a fixture): the order step is blocked.
    selectors.settings_for(tenant).__class__.objects.filter(tenant=tenant).update(
        ipam_backend="netbox"
    )
    with pytest.raises(AdapterError) as caught:
        adapters_for(Tenant.objects.get(pk=tenant.pk))
    assert caught.value.retryable is False and "netbox_url" in str(caught.value)


# --- the tenant's admin page ---------------------------------------------------


def _post_data(response: Any) -> dict[str, Any]:
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            if bound.name == "logo":
                continue
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
                continue
            if value is not None:
                data[bound.html_name] = bound.field.prepare_value(value)
    return data


def _key(data: dict[str, Any], name: str) -> str:
    """The posted name of the provisioning inline's field ``name`` (an empty
    secret box is not in ``data``: its name is built from a field that is)."""
    (key,) = [
        k for k in data if k.startswith("provisioning_settings-") and k.endswith("-ipam_backend")
    ]
    return key.removesuffix("ipam_backend") + name


@pytest.fixture
def tenant_admin(tenant, make_staff):
    client = Client()
    client.force_login(make_staff(tenant, "admin"))
    return client, reverse("admin:core_tenant_change", args=[tenant.pk])


def test_the_admin_sets_a_token_write_only_and_keeps_it_when_left_empty(tenant, tenant_admin):
    client, url = tenant_admin
    data = _post_data(client.get(url))
    data[_key(data, "ipam_backend")] = "netbox"
    data[_key(data, "netbox_url")] = "https://netbox.example.net"
    data[_key(data, "replace_netbox_token")] = "nbt_key.secret-token-value"
    data[_key(data, "netbox_prefix")] = "100.64.0.0/22"
    response = client.post(url, data)
    assert response.status_code == 302
    assert selectors.settings_for(Tenant.objects.get(pk=tenant.pk)).netbox_token == (
        "nbt_key.secret-token-value"
    )

    page = client.get(url)
    html = page.content.decode()
    assert "secret-token-value" not in html
    assert "NetBox API token: set" in html
    # Posting the page back unchanged (the box is empty) keeps the token.
    response = client.post(url, _post_data(page))
    assert response.status_code == 302
    assert selectors.settings_for(Tenant.objects.get(pk=tenant.pk)).netbox_token == (
        "nbt_key.secret-token-value"
    )


def test_the_admin_names_the_missing_token_box(tenant, tenant_admin):
    client, url = tenant_admin
    data = _post_data(client.get(url))
    data[_key(data, "ipam_backend")] = "netbox"
    data[_key(data, "netbox_url")] = "https://netbox.example.net"
    data[_key(data, "netbox_prefix")] = "100.64.0.0/22"
    data[_key(data, "mikrotik_port")] = "0"
    response = client.post(url, data)
    assert response.status_code == 200
    (form,) = [
        form
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.model.__name__ == "ProvisioningSettings"
        for form in inline.formset.forms
    ]
    assert set(form.errors) == {"replace_netbox_token", "mikrotik_port"}
    assert selectors.settings_for(Tenant.objects.get(pk=tenant.pk)).ipam_backend == "ispstack"


def test_the_admin_action_tests_each_configured_connection(tenant, tenant_admin):
    client, _url = tenant_admin
    with recorded_nbi() as nbi, fake_routeros() as fake:
        nbi.reply("GET", "devices", Reply(200, b"[]"))
        configured(
            tenant,
            genieacs_url=nbi.url,
            mikrotik_host=fake.host,
            mikrotik_port=fake.port,
            mikrotik_username=fake.username,
            mikrotik_password="wrong",
        )
        response = client.post(
            reverse("admin:core_tenant_changelist"),
            {"action": "test_connections_action", "_selected_action": [tenant.pk]},
            follow=True,
        )
    shown = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert shown == [
        ("success", f"{tenant}: genieacs: GenieACS NBI"),
        (
            "error",
            f"{tenant}: mikrotik: the router refused the login of 'api': "
            "invalid user name or password (6)",
        ),
    ]
    assert fake.writes == []


def test_check_connections_reports_nothing_when_nothing_is_configured(tenant):
    assert check_connections(tenant) == []
