"""Model instances from rows a SQL statement returned as JSON.

A page that reads several small sets in one statement (``json_agg`` of
whole rows in subqueries, each cast to text) builds the instances here:
the same values the ORM would load (exact decimals, aware datetimes,
dates), without compiling a query per set.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def loads(text: str | None) -> list:  # type: ignore[type-arg]
    """The JSON array ``text`` (None: empty) with decimals kept exact
    (``573.8500`` is ``Decimal("573.8500")``, never a float)."""
    if not text:
        return []
    value = json.loads(text, parse_float=Decimal)
    return list(value) if value else []


def instances(model: type[M], text: str | None, using: str = "default") -> list[M]:
    """The instances of ``model`` whose rows ``text`` holds, a JSON array of
    objects keyed by column name (``row_to_json``/``json_agg`` of the
    model's table), in order. Every concrete field's column must be there;
    each value goes through the field's ``to_python`` as a form would read
    it (ISO strings to dates and aware datetimes, numbers to Decimal)."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    built = []
    for row in loads(text):
        values = [None if row[f.column] is None else f.to_python(row[f.column]) for f in fields]
        built.append(model.from_db(using, names, values))
    return built
