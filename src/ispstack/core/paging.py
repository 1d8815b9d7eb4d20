"""Pages of a list read newest first with an offset, as the customer pages
of the console and the portal show them (``?page=`` from 1, a link to the
older page when there is one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

MAX_PAGE = 10_000
"""The highest page number read; a larger ``?page=`` reads as this one."""


def page_number(value: str | None) -> int:
    """``?page=`` as a page number from 1; anything else (text, negative, huge)
    reads as 1 or ``MAX_PAGE``."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass
class Page:
    """One page of a list, newest first: its rows, its number and whether an older page exists."""

    rows: list[Any]
    number: int
    has_older: bool


def page_of(queryset: QuerySet[Any], number: int, size: int) -> Page:
    """Rows of page ``number`` of ``size`` rows (one query: a row more than the
    page tells if there is more)."""
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows=rows[:size], number=number, has_older=len(rows) > size)
