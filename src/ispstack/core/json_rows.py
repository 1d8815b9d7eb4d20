"""Model instances from rows a SQL statement returned as JSON.

A page that reads several small sets in one statement (``json_agg`` of
whole rows in subqueries, each cast to text) builds the instances here:
the same values the ORM would load (exact decimals, aware datetimes,
dates), without compiling a query per set.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def json_list(select: str) -> str:
    """A subquery answering the rows of ``select`` as one JSON array (text),
    for ``loads``."""
    return f"(SELECT COALESCE(json_agg(r), '[]')::text FROM ({select}) r)"


def loads(text: str | None) -> list[Any]:
    """The JSON array ``text`` (None: empty) with decimals kept exact
    (``573.8500`` is ``Decimal("573.8500")``, never a float)."""
    if not text:
        return []
    value = json.loads(text, parse_float=Decimal)
    return list(value) if value else []


def _value(field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` of ``field`` as the database adapter gives it: JSON writes
    dates, datetimes, times, intervals and UUIDs as text and keeps the rest
    (numbers, text, booleans, addresses, arrays, JSON) as the ORM reads them."""
    if value is None:
        return None
    kind = field.get_internal_type()
    if kind in _PARSED:
        return field.to_python(value)
    if kind == "DecimalField":
        return Decimal(value)
    return value


#: The fields whose values JSON writes as text: ``to_python`` parses them
#: (ISO dates, aware datetimes, PostgreSQL intervals, UUIDs).
_PARSED = frozenset({"DateField", "DateTimeField", "TimeField", "DurationField", "UUIDField"})


def instances(model: type[M], text: str | None, using: str = "default") -> list[M]:
    """The instances of ``model`` whose rows ``text`` holds, a JSON array of
    objects keyed by column name (``json_agg`` of whole rows of the model's
    table), in order, as if loaded by the ORM (``Model.from_db``). Every
    concrete field's column must be there (KeyError otherwise)."""
    return [instance(model, row, using) for row in loads(text)]


def instance(model: type[M], row: dict[Any, Any], using: str = "default") -> M:
    """The instance of ``model`` whose row ``row`` is (an object of ``loads``,
    keyed by column name), as ``instances`` builds each."""
    fields = model._meta.concrete_fields
    return model.from_db(
        using, [f.attname for f in fields], [_value(f, row[f.column]) for f in fields]
    )


def whole_row(alias: str, model: type[models.Model]) -> str:
    """SQL for the row of ``model`` under ``alias`` as a JSON object for
    ``instance``, or JSON null when an outer join found none (a whole-row
    reference would give an object of nulls)."""
    return (
        f"CASE WHEN {alias}.{model._meta.pk.column} IS NULL THEN NULL ELSE row_to_json({alias}) END"
    )


def attach(obj: models.Model, relation: str, related: models.Model | None) -> None:
    """Give ``obj`` its ``related`` row of ``relation`` (a forward or reverse
    one-to-one or many-to-one field name) as ``select_related`` would: read
    from the cache, no query; None where it found none."""
    obj._meta.get_field(relation).set_cached_value(obj, related)  # type: ignore[union-attr]
