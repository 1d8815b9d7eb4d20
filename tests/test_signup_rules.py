"""Bad input at sign-up gets a clear error naming the field and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.catalog.models import Plan
from ispstack.catalog.services import create_plan
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.customers.models import Customer
from ispstack.customers.services import create_customer
from ispstack.network.models import IPAddress, IPPool
from ispstack.network.services import create_pool
from ispstack.radius.models import RadCheck
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import create_subscription

pytestmark = pytest.mark.django_db


def test_customer_gets_the_tenants_account_number_format(tenant, make_customer):
    first, second = make_customer(tenant), make_customer(tenant)
    year = first.created_at.year
    assert first.account_number == f"CT-{year}-00001"
    assert second.account_number == f"CT-{year}-00002"


def test_customer_phone_is_normalised_to_e164_and_bad_phones_refused(tenant):
    customer = create_customer(tenant=tenant, name="A", email="a@example.net", phone="030 1234567")
    assert customer.phone == "+49301234567"
    with pytest.raises(InvalidInput) as err:
        create_customer(tenant=tenant, name="B", email="b@example.net", phone="12")
    assert err.value.field == "phone"
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "email": "x@example.net"}, "name"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "email": "x@example.net", "service_latitude": "91"}, "service_latitude"),
        ({"name": "X", "email": "x@example.net", "billing_country": "DEU"}, "billing_country"),
        ({"name": "X", "email": "x@example.net", "currency": "EURO"}, "currency"),
    ],
)
def test_customer_bad_input(tenant, data, field):
    with pytest.raises(InvalidInput) as err:
        create_customer(tenant=tenant, **data)
    assert err.value.field == field
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"monthly_price": "-1.00"}, "monthly_price"),
        ({"monthly_price": "1.00001"}, "monthly_price"),
        ({"download_kbps": 0}, "download_kbps"),
        ({"upload_kbps": "fast"}, "upload_kbps"),
        ({"currency": "XXXX"}, "currency"),
    ],
)
def test_plan_bad_input(tenant, overrides, field):
    from tests.conftest import tenant_tax

    data = {
        "code": "p",
        "name": "P",
        "download_kbps": 1000,
        "upload_kbps": 1000,
        "monthly_price": "10.00",
        "tax_rate": tenant_tax(tenant, "19"),
    }
    data.update(overrides)
    with pytest.raises(InvalidInput) as err:
        create_plan(tenant=tenant, **data)
    assert err.value.field == field
    assert not Plan.objects.exists()


def test_plan_negative_price_is_also_refused_by_the_database(tenant):
    from django.db import IntegrityError

    from tests.conftest import tenant_tax

    plan = Plan(
        tenant=tenant,
        code="x",
        name="X",
        download_kbps=1,
        upload_kbps=1,
        monthly_price=-1,
        currency="EUR",
        tax_rate=tenant_tax(tenant, "19"),
    )
    with pytest.raises(IntegrityError):
        plan.save()


@pytest.mark.parametrize("cidr", ["10.0.0.1/24", "10.0.0.0/33", "banana", "2001:db8::/64", ""])
def test_invalid_cidr_is_refused(tenant, cidr):
    with pytest.raises(InvalidInput) as err:
        create_pool(tenant=tenant, name="p", cidr=cidr)
    assert err.value.field == "cidr"
    assert not IPPool.objects.exists()


def test_overlapping_pools_are_refused(tenant):
    create_pool(tenant=tenant, name="a", cidr="100.64.0.0/22")
    with pytest.raises(Conflict) as err:
        create_pool(tenant=tenant, name="b", cidr="100.64.2.0/24")
    assert err.value.field == "cidr"


def test_addresses_are_allocated_in_order_skipping_network_gateway_and_broadcast(
    tenant, make_subscription
):
    pool = create_pool(tenant=tenant, name="p", cidr="100.64.9.0/29", gateway="100.64.9.1")
    subs = [make_subscription(tenant, pool=pool) for _ in range(5)]
    assert [s.ip_address.address for s in subs] == [
        "100.64.9.2",
        "100.64.9.3",
        "100.64.9.4",
        "100.64.9.5",
        "100.64.9.6",
    ]
    assert pool.capacity == 5


def test_exhausted_pool_is_a_conflict_and_writes_nothing(
    tenant, make_subscription, make_customer, make_plan
):
    pool = create_pool(tenant=tenant, name="tiny", cidr="100.64.8.0/30")
    make_subscription(tenant, pool=pool)
    make_subscription(tenant, pool=pool)
    before = Subscription.objects.count()
    with pytest.raises(Conflict) as err:
        create_subscription(
            tenant=tenant,
            customer=make_customer(tenant),
            plan=make_plan(tenant),
            username="third@isp.example",
            pool=pool,
        )
    assert err.value.field == "pool"
    assert Subscription.objects.count() == before
    assert IPAddress.objects.filter(pool=pool).count() == 2


def test_termination_returns_the_address_to_the_pool(tenant, make_subscription):
    from ispstack.subscriptions.services import terminate

    pool = create_pool(tenant=tenant, name="p", cidr="100.64.7.0/30")
    first = make_subscription(tenant, pool=pool)
    address = first.ip_address.address
    terminate(subscription=first, reason="cancelled")
    assert not IPAddress.objects.filter(address=address).exists()
    assert make_subscription(tenant, pool=pool).ip_address.address == address


def test_duplicate_username_is_refused_across_tenants(make_tenant, make_subscription):
    a, b = make_tenant(), make_tenant()
    make_subscription(a, username="same@isp.example")
    with pytest.raises(Conflict) as err:
        make_subscription(b, username="Same@isp.example")
    assert err.value.field == "username"
    assert RadCheck.objects.filter(username__iexact="same@isp.example").count() == 1


@pytest.mark.parametrize("day", [0, 32, -1, "x"])
def test_billing_day_outside_1_to_31_is_refused(tenant, make_subscription, day):
    with pytest.raises(InvalidInput) as err:
        make_subscription(tenant, billing_day=day)
    assert err.value.field == "billing_day"
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "username",
    [
        "ab",
        "has space@isp.example",
        "user@nodot",
        "a@b@c.d",
        "user@.example",
        "aa:bb:cc:00:11:22",  # a MAC as a username: upper case, as RouterOS sends it
        "AA:BB:CC:00:11",
        "AA:BB:CC:00:11:22:33",
    ],
)
def test_usernames_freeradius_would_reject_are_refused(tenant, make_subscription, username):
    with pytest.raises(InvalidInput) as err:
        make_subscription(tenant, username=username)
    assert err.value.field == "username"


def test_a_mac_as_username_logs_in_from_that_mac_only(tenant, make_subscription):
    sub = make_subscription(tenant, username="AA:BB:CC:00:11:22", pool=None)
    checks = dict(RadCheck.objects.filter(username=sub.username).values_list("attribute", "value"))
    assert checks == {"Cleartext-Password": "s3cret-pw", "Calling-Station-Id": "AA:BB:CC:00:11:22"}


def test_objects_of_another_tenant_cannot_be_used_at_signup(make_tenant, make_customer, make_plan):
    a, b = make_tenant(), make_tenant()
    with pytest.raises(NotFound) as err:
        create_subscription(
            tenant=a,
            customer=make_customer(b),
            plan=make_plan(a),
            username="x1@isp.example",
            start_date=dt.date(2026, 1, 1),
        )
    assert err.value.field == "customer"


def test_a_plan_speed_change_reaches_every_subscribers_radreply(
    tenant, make_plan, make_subscription
):
    from ispstack.catalog.services import update_plan
    from ispstack.radius.selectors import effective_reply

    plan = make_plan(tenant, download_kbps=20000, upload_kbps=5000)
    subs = [make_subscription(tenant, plan=plan) for _ in range(2)]
    update_plan(plan=plan, download_kbps=100000, upload_kbps=1500)
    assert [effective_reply(s.username)["Mikrotik-Rate-Limit"] for s in subs] == [
        ["1500k/100M"],
        ["1500k/100M"],
    ]
