"""What the console's forms share: a service's refusal shown at the field it
names, and times a clerk types in the tenant's local time."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from ispstack.core.errors import ServiceError


def show_refusal(
    form: forms.Form, error: ServiceError, aliases: dict[str, str] | None = None
) -> None:
    """Add ``error`` to ``form`` at the field it names: the service's name
    itself, the form field ``aliases`` gives for it (a value the form asks in
    other units or under another name), or the field a nested name ends in
    (``contract_terms.notice_days``) or starts with (``sla_credit_tiers[1].below``,
    shown with its full path, which says which line); above the form when
    no field matches."""
    named = error.field or ""
    whole = named.split("[")[0]
    field = (aliases or {}).get(named) or whole
    if field not in form.fields:
        field = whole.rsplit(".", 1)[-1]
    if field not in form.fields:
        form.add_error(None, str(error))
        return
    form.add_error(field, str(error) if whole != named else error.message)


def typed_in_zone(moment: dt.datetime | None, tenant: Any) -> dt.datetime | None:
    """A time a clerk typed (``datetime-local``: naive, or made aware in the
    server's zone by the form) read in the tenant's time zone, as an aware
    datetime; None stays None."""
    if moment is None:
        return None
    return moment.replace(tzinfo=None).replace(tzinfo=ZoneInfo(tenant.timezone))


def as_typed(moment: dt.datetime | None, tenant: Any) -> dt.datetime | None:
    """The inverse of ``typed_in_zone``: an aware instant as the naive local
    time a ``datetime-local`` field shows."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tenant.timezone)).replace(tzinfo=None)
