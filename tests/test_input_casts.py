"""Services refuse input that ``int()`` / ``bool()`` / ``Decimal()`` would
misread or choke on (``bool("false")`` is True, ``int("abc")`` raises, a
fraction is truncated, a number too large for its column): an InvalidInput
naming the field, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.core.errors import InvalidInput
from ispstack.network.models import PrefixPool
from ispstack.network.prefixes import create_prefix_pool
from ispstack.payments.methods import add_bank_account, add_card
from ispstack.payments.models import CustomerPaymentMethod
from ispstack.usage.caps import buy_topup
from ispstack.usage.models import TopUp

pytestmark = pytest.mark.django_db


def _card(customer, **overrides):
    values = {
        "customer": customer,
        "token": "tok_visa_1",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
    }
    values.update(overrides)
    return add_card(**values)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"exp_month": "twelve"}, "exp_month"),
        ({"exp_month": None}, "exp_month"),
        ({"exp_month": 13}, "exp_month"),
        ({"exp_year": 0}, "exp_year"),
        ({"exp_year": 99999}, "exp_year"),
        ({"exp_year": True}, "exp_year"),
    ],
)
def test_a_card_with_a_bad_expiry_is_refused_naming_the_field(
    tenant, make_customer, overrides, field
):
    with pytest.raises(InvalidInput) as err:
        _card(make_customer(tenant), **overrides)
    assert err.value.field == field
    assert not CustomerPaymentMethod.objects.exists()


def test_primary_false_as_text_does_not_make_a_method_primary(tenant, make_customer):
    customer = make_customer(tenant)
    card = _card(customer)
    bank = add_bank_account(
        customer=customer, iban="DE89370400440532013000", holder_name="A B", primary="false"
    )
    card.refresh_from_db()
    assert (card.is_primary, bank.is_primary) == (True, False)
    with pytest.raises(InvalidInput) as err:
        _card(customer, token="tok_visa_2", primary="maybe")
    assert err.value.field == "primary"
    assert CustomerPaymentMethod.objects.count() == 2


@pytest.mark.parametrize("length", [56.5, "56.0", True])
def test_a_prefix_length_must_be_a_whole_number(tenant, length):
    with pytest.raises(InvalidInput) as err:
        create_prefix_pool(
            tenant=tenant,
            name="pd",
            prefix="2001:db8:900::/48",
            assign_length=length,
            kind="delegated",
        )
    assert err.value.field == "assign_length"
    assert not PrefixPool.objects.exists()


def test_a_topup_too_large_for_its_column_is_refused(tenant, make_plan, make_subscription):
    plan = make_plan(tenant, data_cap_bytes=10**10)
    sub = make_subscription(tenant, plan=plan)
    with pytest.raises(InvalidInput) as err:
        buy_topup(subscription=sub, gigabytes="1e30", today=dt.date(2026, 1, 5))
    assert (err.value.field, err.value.message) == ("gigabytes", "must be at most 9223372036 GB")
    assert not TopUp.objects.exists()
