"""Fixtures shared by every test: tenants built through the real services,
API clients of tenant staff, and the real peers (FreeRADIUS, SMTP)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from ispstack.api.tokens import create_token
from ispstack.catalog.models import Plan
from ispstack.catalog.services import create_plan, create_tax_rate
from ispstack.core.models import Tenant, User
from ispstack.core.roles import ensure_roles
from ispstack.customers.models import Customer
from ispstack.customers.services import create_customer
from ispstack.network.models import IPPool
from ispstack.network.services import create_pool
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import activate, create_subscription
from tests.tenant_settings import configure

pytest_plugins = [
    "tests.peers",
    "tests.dovecot_peer",
    "tests.bank_samples",
    "tests.api_world",
    "tests.usage_world",
]

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 costs ~0.3 s a user; tests create many users and test no hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    """Schemathesis and the API walks send thousands of requests a minute from one
    token and one address; the rate-limit tests set their own low rates."""
    settings.API_THROTTLE_RATES = {"token": None, "login": None}


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    """Invoice PDFs of a test go to its own folder, not ./var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


# The factories, as plain functions for fixtures of a wider scope (a world
# built once per module); the fixtures below hand them to tests.


def new_tenant(**overrides: Any) -> Tenant:
    n = next(_seq)
    values = {
        "name": f"ISP {n}",
        "slug": f"isp-{n}",
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "country": "DE",
        "email": f"billing@isp{n}.example",
    }
    own = {f.name for f in Tenant._meta.concrete_fields}
    values.update({k: v for k, v in overrides.items() if k in own})
    tenant = Tenant.objects.create(**values)
    # Billing terms, number formats, suspension...: the apps' settings rows.
    configure(tenant, **{k: v for k, v in overrides.items() if k not in own})
    return tenant


def new_plan(tenant: Tenant, **overrides: Any) -> Plan:
    tax = tenant_tax(tenant, overrides.pop("tax_percent", "19"))
    n = next(_seq)
    values = {
        "code": f"plan-{n}",
        "name": f"Fibre {n}",
        "download_kbps": 50000,
        "upload_kbps": 10000,
        "monthly_price": "30.00",
        "tax_rate": tax,
    }
    values.update(overrides)
    return create_plan(tenant=tenant, **values)


def tenant_tax(tenant: Tenant, percent: str) -> Any:
    from ispstack.catalog.models import TaxRate

    existing = TaxRate.objects.for_tenant(tenant).filter(rate=percent).first()
    return existing or create_tax_rate(tenant=tenant, name=f"VAT {percent}", rate=percent)


def new_customer(tenant: Tenant, **overrides: Any) -> Customer:
    n = next(_seq)
    values = {"name": f"Customer {n}", "email": f"customer{n}@example.net"}
    values.update(overrides)
    return create_customer(tenant=tenant, **values)


def new_pool(tenant: Tenant, cidr: str | None = None) -> IPPool:
    n = next(_seq)
    return create_pool(tenant=tenant, name=f"pool-{n}", cidr=cidr or f"100.64.{n % 250}.0/24")


def new_subscription(tenant: Tenant, *, active: bool = True, **overrides: Any) -> Subscription:
    n = next(_seq)
    values: dict[str, Any] = {
        "username": f"user{n}@{tenant.slug}.example",
        "password": "s3cret-pw",
        "billing_day": 1,
        "start_date": dt.date(2026, 1, 1),
    }
    values.update(overrides)
    if "customer" not in values:
        values["customer"] = new_customer(tenant)
    if "plan" not in values:
        values["plan"] = new_plan(tenant)
    if "pool" not in values:
        values["pool"] = new_pool(tenant)
    sub = create_subscription(tenant=tenant, **values)
    if active:
        sub = activate(subscription=sub)
    return sub


def new_staff(tenant: Tenant | None, role: str = "admin", **extra: Any) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        username=f"staff{n}", password="pw-staff-123", tenant=tenant, is_staff=True, **extra
    )
    if role:
        # Transactional tests flush auth_group; the roles come back as after migrate.
        if not Group.objects.filter(name=role).exists():
            ensure_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def new_api_client(tenant: Tenant, role: str = "admin") -> APIClient:
    user = new_staff(tenant, role)
    client = APIClient()
    _token, raw = create_token(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    client.user = user  # type: ignore[attr-defined]
    client.raw_token = raw  # type: ignore[attr-defined]
    return client


@pytest.fixture
def make_tenant(db: Any) -> Callable[..., Tenant]:
    return new_tenant


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant()


@pytest.fixture
def make_plan() -> Callable[..., Plan]:
    return new_plan


@pytest.fixture
def make_customer() -> Callable[..., Customer]:
    return new_customer


@pytest.fixture
def make_pool() -> Callable[..., IPPool]:
    return new_pool


@pytest.fixture
def make_subscription() -> Callable[..., Subscription]:
    return new_subscription


@pytest.fixture
def make_staff(db: Any) -> Callable[..., User]:
    return new_staff


@pytest.fixture
def api_client_for(db: Any) -> Callable[..., APIClient]:
    return new_api_client


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run on_commit callbacks (the outbox) inside a transactional test."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        yield callbacks
