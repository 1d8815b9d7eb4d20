"""A closed month's books never change, for any writer: PostgreSQL refuses
an insert, update or delete of a journal entry, a journal line or a revenue
schedule row of a closed month, the reopening of a closed month, and a new
code or type for an account that has lines; the open month stays writable.
The admin shows a booked account's code and type read only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ispstack.accounting.journal.runner import post_journal
from ispstack.accounting.models import (
    Account,
    AccountingPeriod,
    JournalEntry,
    JournalLine,
    RevenueScheduleEntry,
)
from ispstack.accounting.services import close_month
from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import clock

pytestmark = pytest.mark.django_db
D = dt.date
CLOSED = "2026-01 is closed"


@pytest.fixture
def closed_january(tenant, make_subscription):
    """A 35.70 EUR invoice of 1 Jan 2026, January posted, recognised and closed."""
    make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    with clock.simulated(dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)):
        close_month(tenant=tenant, month=D(2026, 1, 1))
    return JournalEntry.objects.get(tenant=tenant, period=D(2026, 1, 1), kind="issue")


def _refused(write):
    with pytest.raises(IntegrityError, match="is closed"), transaction.atomic():
        write()


def test_a_closed_months_entries_lines_and_schedule_never_change(tenant, closed_january):
    entry = closed_january
    line = entry.lines.first()
    schedule = RevenueScheduleEntry.objects.filter(tenant=tenant, month=D(2026, 1, 1))
    assert schedule.exists()
    before = (
        list(JournalEntry.objects.values()),
        list(JournalLine.objects.values()),
        list(RevenueScheduleEntry.objects.values()),
    )
    _refused(lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="changed"))
    _refused(lambda: JournalEntry.objects.filter(pk=entry.pk).update(period=D(2026, 2, 1)))
    _refused(lambda: JournalLine.objects.filter(pk=line.pk).update(debit=line.debit + 1))
    _refused(lambda: JournalLine.objects.filter(pk=line.pk).delete())
    _refused(
        lambda: JournalLine.objects.create(
            tenant=tenant, entry=entry, account=line.account, debit=Decimal("1")
        )
    )
    _refused(lambda: schedule.update(amount=Decimal("0")))
    _refused(lambda: schedule.delete())
    with pytest.raises(IntegrityError, match="a close is final"), transaction.atomic():
        AccountingPeriod.objects.filter(tenant=tenant).delete()
    assert before == (
        list(JournalEntry.objects.values()),
        list(JournalLine.objects.values()),
        list(RevenueScheduleEntry.objects.values()),
    )
    assert AccountingPeriod.objects.filter(tenant=tenant, month=D(2026, 1, 1)).exists()


def test_the_open_month_is_written_and_another_tenants_january_is_open(
    tenant, closed_january, make_tenant, make_subscription
):
    # February's invoice posts into February, which is open.
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    with clock.simulated(dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)):
        post_journal(tenant=tenant, through=D(2026, 2, 9))
    february = JournalEntry.objects.get(tenant=tenant, period=D(2026, 2, 1), kind="issue")
    JournalEntry.objects.filter(pk=february.pk).update(memo="fixed in the open month")
    # Another tenant's January is its own, and open.
    other = make_tenant()
    make_subscription(other, start_date=D(2026, 1, 1))
    run_billing(tenant=other, as_of=D(2026, 1, 1))
    post_journal(tenant=other, through=D(2026, 1, 31))
    assert JournalEntry.objects.filter(tenant=other, period=D(2026, 1, 1)).exists()
    assert Invoice.objects.filter(tenant=other).count() == 1


def test_a_booked_accounts_code_and_type_are_kept(tenant, closed_january):
    booked = closed_january.lines.first().account
    with pytest.raises(IntegrityError, match="code and type are kept"), transaction.atomic():
        Account.objects.filter(pk=booked.pk).update(code="9999")
    with pytest.raises(IntegrityError, match="code and type are kept"), transaction.atomic():
        Account.objects.filter(pk=booked.pk).update(type="expense")
    Account.objects.filter(pk=booked.pk).update(name="Renamed, as its package calls it")
    unbooked = Account.objects.filter(tenant=tenant).exclude(lines__isnull=False).first()
    Account.objects.filter(pk=unbooked.pk).update(code="9998")
    assert Account.objects.get(pk=unbooked.pk).code == "9998"


def test_the_admin_shows_a_booked_accounts_code_read_only(
    tenant, closed_january, client, make_staff
):
    booked = closed_january.lines.first().account
    unbooked = Account.objects.filter(tenant=tenant).exclude(lines__isnull=False).first()
    client.force_login(make_staff(tenant, "admin"))
    page = client.get(f"/admin/accounting/account/{booked.pk}/change/").content.decode()
    assert 'name="code"' not in page and booked.code in page
    assert 'name="name"' in page
    other = client.get(f"/admin/accounting/account/{unbooked.pk}/change/").content.decode()
    assert 'name="code"' in other
