"""A state change builds the tenant's business calendar once (its own
holidays read in one query, public holidays kept per process), however many
SLA sums the change makes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ispstack.tickets import services
from ispstack.tickets.choices import TicketState

pytestmark = pytest.mark.django_db

# Measured (lock, settings, policy, holidays, save, audit, ...) of one change: the
# bound catches a calendar built again per sum.
MAX_QUERIES = 11


@pytest.mark.parametrize(
    ("path", "last"),
    [
        ((TicketState.WAITING_ON_CUSTOMER,), TicketState.RESOLVED),  # resume + resolution time
        ((TicketState.IN_PROGRESS, TicketState.RESOLVED), TicketState.IN_PROGRESS),  # reopen
    ],
)
def test_a_state_change_reads_the_calendar_once(tenant, make_staff, path, last):
    staff = make_staff(tenant)
    ticket = services.open_ticket(tenant=tenant, subject="slow line")
    for state in path:
        services.change_state(ticket=ticket, state=state, actor=staff)

    with CaptureQueriesContext(connection) as queries:
        services.change_state(ticket=ticket, state=last, actor=staff)

    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if '"tickets_holiday"' in s]) == 1, sql
    assert len(sql) <= MAX_QUERIES, sql


def test_waiting_reads_no_calendar(tenant, make_staff):
    ticket = services.open_ticket(tenant=tenant, subject="slow line")
    with CaptureQueriesContext(connection) as queries:
        services.change_state(ticket=ticket, state=TicketState.WAITING_ON_CUSTOMER)
    assert not [q for q in queries.captured_queries if '"tickets_holiday"' in q["sql"]]
