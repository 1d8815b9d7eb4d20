"""Hand-written statements of the busiest pages as prepared statements.

The portal dashboard and the Customer 360 each read their figures in one or
two large statements. PostgreSQL spent longer planning those than running
them (about 1.3-1.7 ms of planning against 0.2-0.8 ms of execution at 20,000
customers), and Django's cursor binds parameters on the client, so every
request planned them again. ``cursor()`` gives a cursor that binds on the
server and prepares each statement on its connection (psycopg's prepared
statement cache, ``prepare=True``): with ``DB_CONN_MAX_AGE`` a web thread
keeps its connection, so a statement is planned once per connection and
then executed from its plan.

Only statements written for it go through here: server-side binding needs
every parameter's type to be known (``%s::date[]``, ``= ANY(%s)`` against a
typed column) and accepts no parameter where PostgreSQL wants a literal.
Settings ``DB_PREPARED_STATEMENTS`` off (``DB_PREPARED_STATEMENTS=0``, for a
transaction-pooling PgBouncer older than 1.21, which cannot keep a
connection's prepared statements) gives Django's own cursor instead, and
the statements run as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

_ASKED_ONLY = 2**31 - 1


class _DebugCursor(CursorDebugWrapper):
    """Django's query log for a prepared statement: the driver keeps no
    client-side text of it, so the log shows the statement with its
    parameters composed here (as tests and DEBUG read ``connection.queries``)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        try:
            shown = self.db.ops.compose_sql(sql, params)
        except (TypeError, ValueError, psycopg.DataError):
            shown = sql
        with self.debug_sql(shown, params):
            return CursorWrapper.execute(self, sql, params)


class _PreparingCursor(psycopg.Cursor[Any]):
    """A server-binding cursor that prepares every statement it runs."""

    def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


@contextmanager
def cursor() -> Iterator[Any]:
    """A cursor of the default connection that prepares what it executes
    (see the module docstring); Django's wrapper around it still logs the
    queries in tests and wraps database errors. Plain Django cursor when
    ``settings.DB_PREPARED_STATEMENTS`` is off."""
    if not settings.DB_PREPARED_STATEMENTS:
        with connection.cursor() as plain:
            yield plain
        return
    connection.ensure_connection()
    connection.validate_thread_sharing()
    pg = connection.connection
    if pg.prepare_threshold is None:
        # Django turns psycopg's statement preparing off (None); a threshold
        # no count reaches turns it on for statements asked to be prepared
        # only. Django's own cursors bind on the client and never prepare.
        pg.prepare_threshold = _ASKED_ONLY
    # django-stubs type these as taking Django's wrapper; Django passes them
    # the driver's cursor, as here.
    raw: Any = _PreparingCursor(pg)
    wrapped = (
        _DebugCursor(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
    )
    with wrapped as prepared:
        yield prepared
