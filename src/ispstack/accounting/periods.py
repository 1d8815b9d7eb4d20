"""Reads and the one write of accounting periods: which month is closed,
where a correction dated in a closed month is booked, and the close itself.

A month is open until an ``AccountingPeriod`` row closes it; closing is
final. Recognition and the journal call ``booking_day`` before they write,
so nothing lands in a closed month.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ispstack.accounting.models import AccountingPeriod
from ispstack.core import audit, clock
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Tenant, User


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s calendar month."""
    return day.replace(day=1)


def last_closed_month(tenant: Tenant) -> dt.date | None:
    """The first day of the tenant's latest closed month, or None when none is."""
    return (
        AccountingPeriod.objects.for_tenant(tenant)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )


def booking_day(tenant: Tenant, day: dt.date) -> dt.date:
    """The day an entry dated ``day`` is booked on: ``day`` itself in an open
    month, else the first day of the first open month, because a closed
    month never changes and its corrections go into the open period."""
    return book_on(day, last_closed_month(tenant))


def book_on(day: dt.date, last_closed: dt.date | None) -> dt.date:
    """``booking_day`` for a last closed month (its first day) read once."""
    if last_closed is None or month_of(day) > last_closed:
        return day
    return clock.add_months(last_closed, 1)


@transaction.atomic
def close_period(*, tenant: Tenant, month: dt.date, user: User | None = None) -> AccountingPeriod:
    """Close the calendar month that starts on ``month`` (a local date, the
    first of the month) for ``tenant``.

    Raises ``InvalidInput`` (field ``month``) when ``month`` is not a first
    day or the month has not ended yet in the tenant's time zone, and
    ``Conflict`` when it is closed already or an earlier month after the
    last closed one is still open (months close in order). Posts the
    journal through the month's last day first (``post_journal``), so the
    closed month holds every source dated in it.
    """
    if month.day != 1:
        raise InvalidInput("must be the first day of a month", field="month")
    if clock.add_months(month, 1) > clock.today(tenant):
        raise InvalidInput("a month closes only after it has ended", field="month")
    # The journal holds the month whole before it closes: a source dated in
    # it but not posted yet would otherwise be booked into the next month.
    from ispstack.accounting.journal.runner import post_journal

    post_journal(tenant=tenant, through=clock.month_end(month))
    # Serialise closes of one tenant, so two clerks cannot skip a month.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    last = last_closed_month(tenant)
    if last is not None and month <= last:
        raise Conflict(f"{month:%Y-%m} is closed already", field="month")
    if last is not None and month != clock.add_months(last, 1):
        expected = clock.add_months(last, 1)
        raise Conflict(f"close {expected:%Y-%m} first: months close in order", field="month")
    period = AccountingPeriod.objects.create(
        tenant=tenant, month=month, closed_at=clock.now(), closed_by=user
    )
    audit.record(tenant=tenant, actor=user, action="accounting.close_period", obj=period)
    return period
