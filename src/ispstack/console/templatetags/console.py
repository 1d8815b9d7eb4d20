"""Template tags and filters of the console: values as a clerk reads them (see
``core.display``). ``{% money amount currency %}`` takes the currency symbol
from the user's tenant's country."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template

from ispstack.console import links
from ispstack.core import display

register = template.Library()


def _tenant(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(getattr(request, "user", None), "tenant", None)


@register.simple_tag(takes_context=True)
def money(context: template.Context, amount: Decimal | None, currency: str = "") -> str:
    """``amount`` with its currency (default: the tenant's): ``R 573.85``."""
    tenant = _tenant(context)
    code = currency or (tenant.currency if tenant else "")
    return display.money(amount, code, tenant.country if tenant else None) if code else ""


@register.simple_tag
def fixed_url(name: str) -> str:
    """``{% url name %}`` for a URL without arguments, reversed once
    (``links.fixed_url``): for the layout and tabs every page renders."""
    return links.fixed_url(name)


@register.simple_tag(takes_context=True)
def local_time(context: template.Context, moment: dt.datetime | None) -> str:
    """An aware datetime in the tenant's time zone (UTC for the platform operator)."""
    tenant = _tenant(context)
    if moment is None:
        return ""
    if tenant is None:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return display.local_datetime(moment, tenant)


@register.filter
def data_size(octets: int | None) -> str:
    """Bytes in decimal units: ``1.2 GB``."""
    return display.data_size(octets)


@register.filter
def duration(seconds: int | float | dt.timedelta | None) -> str:
    """Seconds as ``2 h 5 min``."""
    return display.duration(seconds)


@register.filter
def speed(kbps: int | None) -> str:
    """A rate in kbit/s as ``50 Mbit/s`` or ``512 kbit/s``."""
    return display.speed(kbps)


@register.filter
def quantity(value: Decimal | int | None) -> str:
    """A quantity without trailing zeros."""
    return display.quantity(value)


@register.filter
def percent(value: Decimal | int | None) -> str:
    """A rate in percent as ``15 %``."""
    return display.percent(value)
