"""core.money: the one rounding rule, strict parsing of amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ispstack.core.errors import InvalidInput
from ispstack.core.money import minor_unit, parse_amount, round_money, tax_for


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "EUR", "2.35"),
        ("2.344", "EUR", "2.34"),
        ("-2.345", "EUR", "-2.35"),
        ("0.005", "ZAR", "0.01"),
        ("1234.5", "JPY", "1235"),
        ("1.0005", "KWD", "1.001"),
    ],
)
def test_round_money_rounds_halves_away_from_zero_to_the_minor_unit(amount, currency, expected):
    assert round_money(Decimal(amount), currency) == Decimal(expected)


def test_minor_units_come_from_iso_4217():
    assert (minor_unit("EUR"), minor_unit("JPY"), minor_unit("KWD")) == (2, 0, 3)


def test_unknown_currency_is_refused_with_the_field():
    with pytest.raises(InvalidInput) as err:
        minor_unit("XYZ1")
    assert err.value.field == "currency"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("-1.00", "must not be negative"),
        ("1.001", "at most 2 decimals"),
        ("abc", "is not a number"),
        (1.5, "not floats"),
        ("NaN", "finite"),
    ],
)
def test_parse_amount_refuses_bad_input_naming_the_rule(value, rule):
    with pytest.raises(InvalidInput) as err:
        parse_amount(value, "EUR")
    assert rule in err.value.message
    assert err.value.field == "amount"


def test_parse_amount_accepts_trailing_zeros_beyond_the_minor_unit():
    assert parse_amount("612.5700", "ZAR") == Decimal("612.57")


def test_tax_is_computed_from_the_rounded_net_and_rounded_once():
    assert tax_for(Decimal("16.45"), Decimal("19"), "EUR") == Decimal("3.13")
    assert tax_for(Decimal("299.00"), Decimal("15"), "ZAR") == Decimal("44.85")


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10000, places=4),
            st.sampled_from(
                [Decimal("0"), Decimal("7"), Decimal("15"), Decimal("19"), Decimal("21")]
            ),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_invoice_lines_always_add_up_to_the_totals(lines):
    """Per-line rounding: totals are sums of rounded lines, so they never drift."""
    nets = [round_money(price, "EUR") for price, _ in lines]
    taxes = [tax_for(net, rate, "EUR") for net, (_, rate) in zip(nets, lines, strict=True)]
    totals = [n + t for n, t in zip(nets, taxes, strict=True)]
    assert sum(totals) == sum(nets) + sum(taxes)
    assert all(x == round_money(x, "EUR") for x in [*nets, *taxes, *totals])
    for net, (price, _) in zip(nets, lines, strict=True):
        assert abs(net - price) <= Decimal("0.005")


@pytest.mark.django_db
def test_convert_uses_the_latest_rate_on_or_before_the_day(tenant):
    import datetime as dt

    from ispstack.core.errors import NotFound
    from ispstack.core.models import ExchangeRate
    from ispstack.core.money import convert

    ExchangeRate.objects.create(
        tenant=tenant, currency="USD", day=dt.date(2026, 1, 1), rate=Decimal("0.91")
    )
    ExchangeRate.objects.create(
        tenant=tenant, currency="USD", day=dt.date(2026, 2, 1), rate=Decimal("0.93")
    )
    assert convert(Decimal("100"), "USD", tenant, dt.date(2026, 1, 31)) == Decimal("91.00")
    assert convert(Decimal("100"), "USD", tenant, dt.date(2026, 3, 1)) == Decimal("93.00")
    assert convert(Decimal("5.555"), "EUR", tenant, dt.date(2026, 3, 1)) == Decimal("5.56")
    with pytest.raises(NotFound) as err:
        convert(Decimal("1"), "USD", tenant, dt.date(2025, 12, 31))
    assert err.value.field == "currency"


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "EUR", 1234), ("500", "JPY", 500), ("1.2345", "KWD", 1235), ("0.005", "EUR", 1)],
)
def test_amounts_in_minor_units_follow_the_currency(amount, currency, minor):
    from ispstack.core.money import to_minor_units

    assert to_minor_units(Decimal(amount), currency) == minor
