"""How values read to a person: money with its currency, data in GB, durations,
percentages and local times. The staff console, the admin and documents use
these, so a clerk sees ``R 573.85`` everywhere and never ``573.8500``.

Numbers follow the interface language (``settings.LANGUAGE_CODE``, through
Babel's CLDR data); the currency symbol follows the tenant's country, so a
South African tenant reads ``R`` where CLDR's plain English would print
``ZAR``. Data sizes use decimal units (1 GB = 10^9 bytes), the units ISPs
sell and cap in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_currency_symbol,
    parse_pattern,
)
from django.conf import settings
from django.utils import translation

from ispstack.core.money import minor_unit

_DATA_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def number_locale() -> str:
    """The Babel locale for digits and separators: the active language."""
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


def _symbol_locale(country: str | None) -> str:
    language = number_locale().split("_")[0]
    if country:
        try:
            return str(Locale.parse(f"{language}_{country.upper()}"))
        except (UnknownLocaleError, ValueError):
            pass
    return language


def money(amount: Decimal | int | str | None, currency: str, country: str | None = None) -> str:
    """``amount`` (in the currency's units) with its symbol and the currency's
    decimals: ``R 573.85``, ``¥500``, ``-€12.00``; ``""`` for None.

    ``country``: ISO 3166 alpha-2 code choosing the symbol (``ZA`` -> ``R``).
    An alphabetic symbol is set off by a space, a sign (``$ € £ ¥``) is not.
    """
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount))
    prefix, pattern, locale = _money_format(currency, country, number_locale())
    sign = "-" if value < 0 else ""
    return f"{sign}{prefix}{pattern.apply(abs(value), locale)}"


@lru_cache(maxsize=256)
def _money_format(
    currency: str, country: str | None, language: str
) -> tuple[str, NumberPattern, Locale]:
    """The symbol with its gap, the number pattern and the locale of one
    currency, country and language: parsed once, as a page lists hundreds of
    amounts (Babel parses locales and patterns on every call)."""
    digits = minor_unit(currency)
    symbol = get_currency_symbol(currency, locale=_symbol_locale(country))
    gap = "\u00a0" if symbol[-1:].isalpha() else ""
    pattern = parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))
    return f"{symbol}{gap}", pattern, Locale.parse(language)


def tenant_money(amount: Decimal | int | str | None, tenant: Any, currency: str = "") -> str:
    """``money`` in ``currency`` (default: the tenant's) with the tenant's symbol."""
    return money(amount, currency or tenant.currency, getattr(tenant, "country", None))


def quantity(value: Decimal | int | float | str | None) -> str:
    """A quantity without trailing zeros: ``Decimal("2.5000")`` -> ``2.5``."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).normalize()
    return format_decimal(number, format="#,##0.##########", locale=number_locale())


def percent(value: Decimal | int | float | str | None) -> str:
    """A rate given in percent (``15`` for 15 %) as ``15 %``, without trailing zeros."""
    if value is None or value == "":
        return ""
    return f"{quantity(value)}\u00a0%"


def data_size(octets: int | None) -> str:
    """A byte count in decimal units with one decimal: ``1.2 GB``, ``850 MB``, ``12 B``."""
    if octets is None:
        return ""
    size = Decimal(int(octets))
    unit = 0
    while abs(size) >= 1000 and unit < len(_DATA_UNITS) - 1:
        size /= 1000
        unit += 1
    pattern = "#,##0" if unit == 0 or abs(size) >= 100 else "#,##0.#"
    number = format_decimal(size, format=pattern, locale=number_locale())
    return f"{number}\u00a0{_DATA_UNITS[unit]}"


def speed(kbps: int | None) -> str:
    """A rate in kbit/s as an operator reads it: ``50 Mbit/s``, ``512 kbit/s``."""
    if kbps is None:
        return ""
    if kbps >= 1000 and kbps % 100 == 0:
        return f"{kbps / 1000:g}\u00a0Mbit/s"
    return f"{kbps}\u00a0kbit/s"


def duration(seconds: int | float | dt.timedelta | None) -> str:
    """A duration in its two largest units: ``3 d 4 h``, ``2 h 5 min``, ``45 s``."""
    if seconds is None:
        return ""
    if isinstance(seconds, dt.timedelta):
        seconds = seconds.total_seconds()
    left = max(int(seconds), 0)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size}\u00a0{unit}")
            left %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def local_datetime(moment: dt.datetime | None, tenant: Any) -> str:
    """An aware datetime in the tenant's time zone: ``2026-11-29 14:05``."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")


def locale_money(amount: Decimal | int | str | None, currency: str, locale: str) -> str:
    """``amount`` as CLDR writes money in ``locale`` (Babel's
    ``format_currency``, the currency's own decimals): ``1.234,50 €`` in
    ``de_DE``, ``R 1 234,50`` in ``en_ZA``; ``""`` for None."""
    if amount is None or amount == "":
        return ""
    return format_currency(Decimal(str(amount)), currency, locale=locale)


def locale_date(day: dt.date | None, locale: str) -> str:
    """A date in ``locale``'s medium format (``01.04.2026`` in ``de_DE``); ``""`` for None."""
    if day is None:
        return ""
    return format_date(day, format="medium", locale=locale)


def locale_datetime(moment: dt.datetime | None, tenant: Any, locale: str) -> str:
    """An aware datetime in the tenant's time zone, written as ``locale``
    writes a medium date and a short time (``01.04.2026, 14:05`` in ``de_DE``)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(tenant.timezone))
    day = format_date(local.date(), format="medium", locale=locale)
    return f"{day} {format_time(local.time(), format='short', locale=locale)}"
