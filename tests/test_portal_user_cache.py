"""The signed-in portal user kept in the shared cache (portal.user_cache):
a page reads no user row once cached, and a change to the user, their
customer, the tenant or its branding shows on the very next page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ispstack.portal import user_cache
from ispstack.portal.models import PortalBranding, PortalUser
from ispstack.portal.services import create_login

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pass-2026"


@pytest.fixture
def shared_cache(settings):
    """The cache on, as with REDIS_CACHE_URL (the tests' local-memory cache
    stands for Redis: one process)."""
    settings.AUTH_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_in(client: Client, tenant, make_customer, make_subscription, shared_cache):
    customer = make_customer(tenant, name="Thandi Mokoena")
    make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    user = create_login(customer=customer, email="thandi@example.net", password=PASSWORD)
    answer = client.post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": PASSWORD}
    )
    assert answer.status_code == 302
    return client, user


def _dashboard(client: Client, tenant) -> tuple[int, str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"/my/{tenant.slug}/")
    sql = [q["sql"] for q in queries.captured_queries]
    return answer.status_code, answer.content.decode(), sql


def _user_reads(sql: list[str]) -> int:
    return sum('FROM "portal_portaluser"' in q for q in sql)


def test_the_dashboard_reads_the_user_once_then_from_the_cache(signed_in, tenant):
    client, _user = signed_in
    status, _page, first = _dashboard(client, tenant)
    assert status == 200 and _user_reads(first) == 1
    status, page, second = _dashboard(client, tenant)
    assert status == 200 and _user_reads(second) == 0
    assert "Thandi Mokoena" in page
    # Besides the session (in the database without Redis): the services,
    # then one statement for every figure of the page.
    assert len([sql for sql in second if "django_session" not in sql]) == 2


def test_a_renamed_customer_shows_on_the_next_page(signed_in, tenant):
    client, user = signed_in
    _dashboard(client, tenant)
    customer = user.customer
    customer.name = "Thandi Mokoena-Dube"
    customer.save()
    status, page, sql = _dashboard(client, tenant)
    assert status == 200 and _user_reads(sql) == 1
    assert "Hello, Thandi Mokoena-Dube" in page


def test_a_new_brand_name_or_tenant_name_shows_on_the_next_page(signed_in, tenant):
    client, _user = signed_in
    _dashboard(client, tenant)
    branding = PortalBranding.objects.get(tenant=tenant)
    branding.display_name = "Kasi Fibre"
    branding.save()
    _status, page, _sql = _dashboard(client, tenant)
    assert "<title>Overview · Kasi Fibre</title>" in page
    branding.display_name = ""
    branding.save()
    tenant.name = "Renamed Net"
    tenant.save()
    _status, page, _sql = _dashboard(client, tenant)
    assert "<title>Overview · Renamed Net</title>" in page


def test_a_switched_off_login_or_a_new_password_ends_the_session_at_once(signed_in, tenant):
    client, user = signed_in
    assert _dashboard(client, tenant)[0] == 200
    user = PortalUser.objects.get(pk=user.pk)
    user.is_active = False
    user.save()
    assert _dashboard(client, tenant)[0] == 302
    user.is_active = True
    user.save()
    answer = client.post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": PASSWORD}
    )
    assert answer.status_code == 302 and _dashboard(client, tenant)[0] == 200
    user.set_password("Another-pass-2026")
    user.save()
    assert _dashboard(client, tenant)[0] == 302


def test_a_hash_written_without_a_signal_does_not_refuse_the_new_sign_in(signed_in, tenant):
    client, user = signed_in
    assert _dashboard(client, tenant)[0] == 200
    # A hash upgraded at sign-in is written with update() (no signal): the
    # cached row keeps the old hash, the new session is signed with the new
    # one; the database decides, and the page opens.
    user.set_password("Another-pass-2026")
    PortalUser.objects.filter(pk=user.pk).update(password=user.password)
    answer = client.post(
        f"/my/{tenant.slug}/login/",
        {"login": "thandi@example.net", "password": "Another-pass-2026"},
    )
    assert answer.status_code == 302
    status, _page, sql = _dashboard(client, tenant)
    assert status == 200 and _user_reads(sql) == 1
    status, _page, sql = _dashboard(client, tenant)
    assert status == 200 and _user_reads(sql) == 0


def test_a_row_cached_between_the_save_and_the_commit_is_dropped_at_commit(
    signed_in, tenant, django_capture_on_commit_callbacks
):
    client, user = signed_in
    assert _dashboard(client, tenant)[0] == 200
    stale = PortalUser.objects.get(pk=user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
        # The user's other session, before the commit, reads and caches the old row.
        cache.set(user_cache._key(user.pk), stale, timeout=300)
    status, _page, _sql = _dashboard(client, tenant)
    assert status == 302
