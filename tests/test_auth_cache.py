"""The shared cache of permissions and OTP devices (core.auth_cache): a page
reads neither from the database once cached, and a revoked role, a changed
role or a new OTP device counts on the very next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from ispstack.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache(settings):
    """The cache on, as with REDIS_CACHE_URL (the tests' local-memory cache
    stands for Redis: one process)."""
    settings.AUTH_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _reads(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    return status, [q["sql"] for q in queries.captured_queries]


def _permission_reads(sql: list[str]) -> int:
    return sum('"auth_permission"' in q for q in sql)


def _device_reads(sql: list[str]) -> int:
    return sum('"otp_totp_totpdevice"' in q for q in sql)


def test_a_page_reads_permissions_and_devices_once_then_from_the_cache(
    client: Client, tenant, make_staff, shared_cache
):
    client.force_login(make_staff(tenant, "admin"))
    status, first = _reads(client, "/staff/")
    assert status == 200 and _permission_reads(first) == 1 and _device_reads(first) == 1
    status, second = _reads(client, "/staff/")
    assert status == 200 and _permission_reads(second) == 0 and _device_reads(second) == 0


def test_without_a_shared_cache_every_page_reads_them(client: Client, tenant, make_staff, settings):
    settings.AUTH_CACHE_SECONDS = 0
    client.force_login(make_staff(tenant, "admin"))
    _reads(client, "/staff/")
    _status, second = _reads(client, "/staff/")
    assert _permission_reads(second) == 1 and _device_reads(second) == 1


def test_a_revoked_role_counts_on_the_next_request(
    client: Client, tenant, make_staff, make_customer, shared_cache
):
    user = make_staff(tenant, "support")
    customer = make_customer(tenant)
    client.force_login(user)
    assert client.get(f"/staff/customers/{customer.pk}/").status_code == 200
    user.groups.remove(Group.objects.get(name="support"))
    assert client.get(f"/staff/customers/{customer.pk}/").status_code == 403


def test_a_permission_taken_from_a_role_counts_on_the_next_request(
    client: Client, tenant, make_staff, make_customer, shared_cache
):
    user = make_staff(tenant, "support")
    customer = make_customer(tenant)
    client.force_login(user)
    assert client.get(f"/staff/customers/{customer.pk}/").status_code == 200
    view = Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    Group.objects.get(name="support").permissions.remove(view)
    assert client.get(f"/staff/customers/{customer.pk}/").status_code == 403
    assert not User.objects.get(pk=user.pk).has_perm("customers.view_customer")


def test_a_new_otp_device_is_asked_for_on_the_next_request(
    client: Client, tenant, make_staff, shared_cache
):
    user = make_staff(tenant, "admin")
    client.force_login(user)
    assert client.get("/staff/").status_code == 200
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    # Logged in without a code: the console refuses the session.
    assert client.get("/staff/").status_code == 403


def test_a_code_check_keeps_the_cache_and_unconfirming_a_device_clears_it(
    client: Client, tenant, make_staff, shared_cache
):
    from ispstack.core import auth_cache

    user = make_staff(tenant, "admin")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    version = cache.get(auth_cache.VERSION_KEY)
    # django-otp saves the device at every code check (counters, throttling).
    device.verify_token("000000")
    device.throttling_failure_count = 3
    device.save()
    assert cache.get(auth_cache.VERSION_KEY) == version
    device.confirmed = True
    device.save()
    assert cache.get(auth_cache.VERSION_KEY) != version


def _user_reads(sql: list[str]) -> int:
    return sum('FROM "core_user"' in q for q in sql)


def test_a_page_reads_the_session_user_once_then_from_the_cache(
    client: Client, tenant, make_staff, shared_cache
):
    client.force_login(make_staff(tenant, "admin"))
    status, first = _reads(client, "/staff/")
    assert status == 200 and _user_reads(first) == 1
    status, second = _reads(client, "/staff/")
    assert status == 200 and _user_reads(second) == 0


def test_a_deactivated_user_is_refused_on_the_next_request(
    client: Client, tenant, make_staff, shared_cache
):
    user = make_staff(tenant, "admin")
    client.force_login(user)
    assert client.get("/staff/").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/staff/").status_code == 302


def test_a_changed_password_ends_the_other_sessions_on_the_next_request(
    client: Client, tenant, make_staff, shared_cache
):
    user = make_staff(tenant, "admin")
    client.force_login(user)
    assert client.get("/staff/").status_code == 200
    user.set_password("a new and long password")
    user.save()
    assert client.get("/staff/").status_code == 302


def test_a_renamed_tenant_shows_on_the_next_request(
    client: Client, tenant, make_staff, shared_cache
):
    client.force_login(make_staff(tenant, "admin"))
    client.get("/staff/")
    tenant.name = "Renamed Fibre"
    tenant.save()
    assert "Renamed Fibre" in client.get("/staff/").content.decode()


def _settings_reads(sql: list[str]) -> int:
    return sum(
        'FROM "customers_customersettings"' in q or 'FROM "billing_billingsettings"' in q
        for q in sql
    )


def test_the_search_reads_the_tenant_settings_with_the_cached_user(
    client: Client, tenant, make_staff, make_customer, shared_cache
):
    customer = make_customer(tenant)
    client.force_login(make_staff(tenant, "admin"))
    url = f"/staff/search/?q={customer.account_number}"
    client.get(url)
    status, second = _reads(client, url)
    assert status == 200 and _settings_reads(second) == 0 and _user_reads(second) == 0


def test_a_changed_tenant_setting_counts_on_the_next_request(
    client: Client, tenant, make_staff, make_customer, shared_cache
):
    from ispstack.customers.models import CustomerSettings

    customer = make_customer(tenant)
    client.force_login(make_staff(tenant, "admin"))
    url = f"/staff/search/?q={customer.account_number}"
    assert customer.name in client.get(url).content.decode()
    row = CustomerSettings.objects.get(tenant=tenant)
    row.account_number_format = "ACC-{seq:06d}"
    row.save()
    # Numbers are looked up only when the text has the tenant's format:
    # the cached old format would still find the customer.
    assert customer.name not in client.get(url).content.decode()


def test_settings_holding_a_secret_are_not_cached_with_the_user(
    client: Client, tenant, make_staff, shared_cache
):
    from ispstack.core import auth_cache

    user = make_staff(tenant, "admin")
    client.force_login(user)
    assert client.get("/staff/").status_code == 200
    version, cached = cache.get(f"ispstack:auth:user:{user.pk}")
    assert version == cache.get(auth_cache.VERSION_KEY)
    kept = cached.tenant._state.fields_cache
    assert "billing_settings" in kept and "customer_settings" in kept
    # The provisioning settings hold the NetBox token and router passwords.
    assert "provisioning_settings" not in kept


def test_a_page_asks_the_shared_cache_once_for_its_user(
    client: Client, tenant, make_staff, shared_cache, monkeypatch
):
    """The version and the user's row, permissions and OTP answer come in one
    round trip (a Redis MGET), not a read of the version first."""
    from ispstack.core import auth_cache

    client.force_login(make_staff(tenant, "admin"))
    client.get("/staff/")
    asked: list[str] = []
    real = auth_cache.cache

    class Counting:
        def __getattr__(self, name: str):
            asked.append(name)
            return getattr(real, name)

    monkeypatch.setattr(auth_cache, "cache", Counting())
    assert client.get("/staff/").status_code == 200
    assert asked == ["get_many"]
