"""Bulk writes for the billing run: PostgreSQL COPY through psycopg.

The billing run writes hundreds of thousands of rows; COPY is the fastest
way PostgreSQL offers to load them, and psycopg 3 speaks it natively.
Columns come from the model's own field definitions, and fields a caller
leaves out get their model defaults, so a new column with a default needs
no change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def columns_of(model: type[models.Model], names: Sequence[str]) -> list[str]:
    """The database column of each field name (``customer`` -> ``customer_id``)."""
    return [str(model._meta.get_field(name).column) for name in names]  # type: ignore[union-attr]


def copy_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` (tuples in the order of ``names``) into ``model``'s table.

    Fields not in ``names`` get their model default (``auto_now`` fields the
    current time), as ``Model.save`` would give them; the primary key is
    generated unless named. Runs on the current connection, so inside the
    caller's transaction. Returns the number of rows written.
    """
    from ispstack.core import clock

    named = set(names)
    now = clock.now()
    extra = [
        f
        for f in model._meta.concrete_fields
        if f.name not in named and f.attname not in named and not f.primary_key
    ]
    defaults = tuple(
        f.get_db_prep_save(
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            connection,
        )
        for f in extra
    )
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(
        connection.ops.quote_name(c)
        for c in [*columns_of(model, names), *(str(f.column) for f in extra)]
    )
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *defaults))
                count += 1
    return count


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's identity sequence."""
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def update_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """UPDATE many rows of ``model`` in one statement, each to values of its
    own: ``rows`` are ``(primary key, *values in the order of names)``.

    The values travel as one array per column (``unnest``), so the statement
    is the same size whatever the number of rows, unlike ``bulk_update``'s
    CASE per row. An ``auto_now`` field not named is set to the current
    time, as ``Model.save`` would. Returns the number of rows updated.
    """
    from ispstack.core import clock

    if not rows:
        return 0
    # The connection itself, not the proxy: preparing each value through the
    # proxy costs a lookup per value.
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    fields: list[Any] = [model._meta.pk, *(model._meta.get_field(name) for name in names)]
    stamped: list[Any] = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) and f.name not in names and f.attname not in names
    ]
    arrays = [
        [field.get_db_prep_save(value, db) for value in column]
        for field, column in zip(fields, zip(*rows, strict=True), strict=True)
    ]
    unnest = ", ".join(f"%s::{field.db_type(db)}[]" for field in fields)
    columns = ", ".join(quote(field.column) for field in fields)
    sets = [f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:]]
    sets += [f"{quote(f.column)} = %s" for f in stamped]
    key = quote(fields[0].column)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} t SET {', '.join(sets)} "
        f"FROM unnest({unnest}) AS v({columns}) WHERE t.{key} = v.{key}"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*(clock.now() for _ in stamped), *arrays])
        return cursor.rowcount
