"""Ticket numbers (default TCK-YYYYMMDD-XXXX): taken from a locked
counter row, so concurrent openers never clash and opening a ticket costs
no lookups of numbers in use."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ispstack.core import clock
from ispstack.tickets import services
from ispstack.tickets.models import Ticket
from tests.test_races import run_at_once


def test_day_tokens_are_distinct_and_do_not_count_up() -> None:
    day = "2026-01-12"
    tokens = [services.day_token(1, day, n) for n in range(1, services.DAY_TOKENS + 1)]
    assert len(set(tokens)) == services.DAY_TOKENS
    assert all(re.fullmatch(r"[0-9A-F]{4}", t) for t in tokens[:100])
    # They do not count up, and another tenant or another day has another order.
    assert tokens[:5] != ["0000", "0001", "0002", "0003", "0004"]
    assert [services.day_token(2, day, n) for n in range(1, 6)] != tokens[:5]
    assert [services.day_token(1, "2026-01-13", n) for n in range(1, 6)] != tokens[:5]
    with pytest.raises(ValueError):
        services.day_token(1, day, services.DAY_TOKENS + 1)


@pytest.mark.django_db
def test_a_number_is_taken_without_looking_up_numbers_in_use(tenant):
    services.open_ticket(tenant=tenant, subject="first")  # settings and counter rows exist
    with CaptureQueriesContext(connection) as queries:
        ticket = services.open_ticket(tenant=tenant, subject="second")
    today = clock.today(tenant).strftime("%Y%m%d")
    assert re.fullmatch(rf"TCK-{today}-[0-9A-F]{{4}}", ticket.number)
    lookups = [q["sql"] for q in queries.captured_queries if '"tickets_ticket"' in q["sql"]]
    assert not [sql for sql in lookups if sql.lstrip().startswith("SELECT")], lookups


@pytest.mark.django_db(transaction=True)
def test_concurrent_openers_get_distinct_numbers(make_tenant):
    tenant = make_tenant()
    services.open_ticket(tenant=tenant, subject="warm up")
    racers = 8

    numbers = run_at_once(
        *[
            lambda n=n: services.open_ticket(tenant=tenant, subject=f"racer {n}").number
            for n in range(racers)
        ]
    )

    assert all(isinstance(n, str) for n in numbers), numbers
    assert len(set(numbers)) == racers
    assert Ticket.objects.filter(tenant=tenant).count() == racers + 1
