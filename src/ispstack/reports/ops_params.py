"""Filters of the operational and helpdesk reports from a query string, shared
by the console and the API, beside the finance reports' ``reports.params``.

``start`` and ``end`` are days (``YYYY-MM-DD``) for the top users and months
(as in ``reports.params``) for the monthly reports; ``limit`` a count of
rows, ``site`` a network site's id, ``by`` the helpdesk reports' grouping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ispstack.core import inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.reports import operations
from ispstack.reports.params import is_id, month_param, tag_param
from ispstack.reports.selectors import Filters, make_filters


def _id(query: Mapping[str, Any], name: str, what: str) -> int | None:
    value = str(query.get(name) or "").strip()
    if value and not is_id(value):
        raise InvalidInput(f"must be a {what}'s id", field=name)
    return int(value) if value else None


def site_param(tenant: Tenant, query: Mapping[str, Any]) -> int | None:
    """The site filter, None when absent; raises InvalidInput (field ``site``)
    for what is not the id of a site of ``tenant``."""
    site_id = _id(query, "site", "site")
    operations.check_site(tenant, site_id)
    return site_id


def plan_param(query: Mapping[str, Any]) -> int | None:
    """The plan filter's id, None when absent; raises InvalidInput (field
    ``plan``) for what is not a number (the selector checks the tenant's)."""
    return _id(query, "plan", "plan")


def limit_param(query: Mapping[str, Any]) -> int:
    """How many top users, ``operations.TOP_DEFAULT`` by default; raises
    InvalidInput (field ``limit``) outside 1..``operations.TOP_MAX``."""
    value = str(query.get("limit") or "").strip()
    if not value:
        return operations.TOP_DEFAULT
    if not is_id(value) or not 1 <= int(value) <= operations.TOP_MAX:
        raise InvalidInput(f"must be a whole number from 1 to {operations.TOP_MAX}", field="limit")
    return int(value)


def day_range(tenant: Tenant, query: Mapping[str, Any]) -> operations.DayRange:
    """The days ``start``..``end`` (see ``operations.make_range``); raises
    InvalidInput naming ``start`` or ``end``."""
    days: dict[str, dt.date | None] = {}
    for name in ("start", "end"):
        value = str(query.get(name) or "").strip()
        days[name] = inputs.day(value, name) if value else None
    return operations.make_range(tenant, start=days["start"], end=days["end"])


def month_filters(tenant: Tenant, query: Mapping[str, Any]) -> Filters:
    """The months and customer tag of a helpdesk report (no plan: a ticket
    has none); raises InvalidInput naming ``start``, ``end`` or ``tag``."""
    return make_filters(
        tenant,
        start=month_param(query, "start"),
        end=month_param(query, "end"),
        tag=tag_param(query),
    )
