"""Report filters from a query string, shared by the console and the API.

``start`` and ``end`` are months (``YYYY-MM``, or any day of the month as
``YYYY-MM-DD``), ``plan`` a plan's id, ``tag`` a customer tag, ``as_of`` a
day (``YYYY-MM-DD``) for the aging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ispstack.core import clock, inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.reports.selectors import Filters, make_filters

#: The longest customer tag a filter takes (tags are short labels).
TAG_MAX = 50


def month_param(query: Mapping[str, Any], name: str) -> dt.date | None:
    """The month named by ``query[name]`` (its first day), None when absent.

    Raises InvalidInput (field ``name``) when it is neither YYYY-MM nor YYYY-MM-DD.
    """
    value = str(query.get(name) or "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(f"{value}-01" if len(value) == 7 else value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a month (YYYY-MM)", field=name) from None
    return day.replace(day=1)


def tag_param(query: Mapping[str, Any]) -> str:
    """The customer tag filter; raises InvalidInput (field ``tag``) when too
    long or holding a NUL byte or a lone surrogate (PostgreSQL's jsonb, which
    the filter is matched in, takes neither)."""
    tag = inputs.text(str(query.get("tag") or ""), "tag")
    if len(tag) > TAG_MAX:
        raise InvalidInput(f"must be at most {TAG_MAX} characters", field="tag")
    return tag


def is_id(value: str) -> bool:
    """Whether ``value`` reads as a row's id: ASCII digits within a bigint
    (``str.isdigit`` also takes digits such as "²" that ``int`` refuses)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def filters_from(tenant: Tenant, query: Mapping[str, Any]) -> Filters:
    """Checked filters of a monthly report (see ``selectors.make_filters``).

    Raises InvalidInput naming the field (a plan of another tenant too).
    """
    plan = str(query.get("plan") or "").strip()
    if plan and not is_id(plan):
        raise InvalidInput("must be a plan's id", field="plan")
    return make_filters(
        tenant,
        start=month_param(query, "start"),
        end=month_param(query, "end"),
        plan_id=int(plan) if plan else None,
        tag=tag_param(query),
    )


def aging_day(tenant: Tenant, query: Mapping[str, Any]) -> dt.date:
    """The aging's day, today by default; raises InvalidInput (field ``as_of``)
    for a day that is not a date or lies in the future."""
    today = clock.today(tenant)
    value = str(query.get("as_of") or "").strip()
    day = inputs.day(value, "as_of") if value else today
    if day > today:
        raise InvalidInput("must not be in the future", field="as_of")
    return day
