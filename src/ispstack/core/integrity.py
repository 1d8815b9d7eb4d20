"""Database constraint violations as service errors.

Every business rule that two concurrent writers could both pass in Python
(a username taken, a payment reference recorded twice, a NAS address in
use) also lives in a database constraint. When the constraint fires, the
loser gets an ``IntegrityError`` naming it (psycopg 3:
``exc.__cause__.diag.constraint_name``); this module turns that into a
``Conflict`` (409) with the input field at fault and the rule, in the shape
of every service error (``{"code", "field", "detail"}``).

Where the rules come from:

- each app's ``constraints.py`` holds ``CONSTRAINT_RULES``, a dict from the
  name of each constraint in its models' ``Meta.constraints`` to a ``Rule``;
- constraints Django derives from fields (``unique=True``, one-to-one, the
  ``>= 0`` check of positive integer fields, ``unique_together`` of
  many-to-many tables) get a rule built from the field, under the names
  PostgreSQL and Django give them.

Services wrap their writes in ``integrity_conflicts()``; the API exception
handler calls ``conflict_from_integrity_error`` for an ``IntegrityError``
that reaches it from anywhere else.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError

from ispstack.core.errors import Conflict, ServiceError

PROJECT_PREFIX = "ispstack."
RULES_MODULE = "constraints"


@dataclass(frozen=True)
class Rule:
    """What a constraint means to the user: the input ``field`` it guards
    (None when no single field is at fault) and ``message``, the rule
    stated so that it reads after the field name (``username: is taken...``)."""

    field: str | None
    message: str

    def __str__(self) -> str:
        """The rule as one sentence, for places without a field to attach it to."""
        return f"{self.field}: {self.message}" if self.field else self.message


def _declared_rules() -> dict[str, Rule]:
    """``CONSTRAINT_RULES`` of every ispstack app that has a ``constraints`` module."""
    from django.apps import apps

    found: dict[str, Rule] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith(PROJECT_PREFIX):
            continue
        module_name = f"{config.name}.{RULES_MODULE}"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        for name, rule in module.CONSTRAINT_RULES.items():
            if name in found:
                raise RuntimeError(f"constraint '{name}' has a rule in two apps")
            found[name] = rule
    return found


def _field_rules() -> dict[str, Rule]:
    """Rules of the constraints Django derives from model fields, under every
    name they can have: PostgreSQL's ``<table>_<column>_key`` / ``_check``
    for a column created with the constraint, Django's hashed ``_uniq`` /
    ``_check`` name for one added to an existing column."""
    from django.apps import apps
    from django.db import connection

    editor: Any = connection.schema_editor()
    found: dict[str, Rule] = {}

    def add(table: str, columns: list[str], suffixes: tuple[str, str], rule: Rule) -> None:
        if len(columns) == 1:
            found[f"{table}_{columns[0]}_{suffixes[0]}"] = rule
        found[editor._create_index_name(table, columns, suffix=f"_{suffixes[1]}")] = rule

    for model in apps.get_models(include_auto_created=True):
        # Many-to-many tables Django creates carry their owner's module.
        if not model.__module__.startswith(PROJECT_PREFIX):
            continue
        opts = model._meta
        table = opts.db_table
        for field in opts.local_concrete_fields:
            if field.unique and not field.primary_key:
                add(
                    table,
                    [str(field.column)],
                    ("key", "uniq"),
                    Rule(
                        field.name,
                        f"must be unique: another {opts.verbose_name} has this "
                        f"{field.verbose_name}",
                    ),
                )
            if field.db_parameters(connection=connection).get("check"):
                add(
                    table,
                    [str(field.column)],
                    ("check", "check"),
                    Rule(field.name, "must not be negative"),
                )
        for names in opts.unique_together:
            fields: list[Any] = [opts.get_field(name) for name in names]
            add(
                table,
                [f.column for f in fields],
                ("key", "uniq"),
                Rule(fields[-1].name, f"is already linked to this {fields[0].verbose_name}"),
            )
    return found


@functools.cache
def rules() -> dict[str, Rule]:
    """Every known constraint name and its rule (built once per process)."""
    return {**_field_rules(), **_declared_rules()}


def rule_for(constraint_name: str) -> Rule | None:
    """The rule of the constraint named ``constraint_name``, or None when unknown."""
    return rules().get(constraint_name)


def conflict_from_integrity_error(exc: IntegrityError) -> ServiceError:
    """The ``Conflict`` (409) to answer for a database constraint violation.

    ``exc`` is Django's ``IntegrityError``; its ``__cause__`` is psycopg's
    error, whose ``diag`` names the constraint (unique, check, exclusion,
    foreign key) or, for a NOT NULL violation, the column. A known
    constraint gives its rule's field and message; an unknown one a generic
    message naming it; never a 500. The API exception handler calls this
    for an ``IntegrityError`` and answers ``error.as_dict()`` with
    ``error.status_code``. Runs no query, so it is safe in a broken
    transaction.
    """
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        rule = rule_for(name)
        if rule is not None:
            return Conflict(rule.message, field=rule.field)
        return Conflict(f"the change breaks the database rule '{name}'")
    column = getattr(diag, "column_name", None)
    if column:
        return Conflict("is required", field=column)
    detail = getattr(diag, "message_primary", None) or str(exc)
    return Conflict(f"the change breaks a database rule ({detail})")


@contextmanager
def integrity_conflicts() -> Iterator[None]:
    """Turn a constraint violation inside the block into its ``Conflict``.

    Use as ``with integrity_conflicts():`` or as a decorator
    (``@integrity_conflicts()``) on a service; the transaction the violation
    broke is rolled back by its ``atomic`` block as the Conflict leaves it.
    """
    try:
        yield
    except IntegrityError as exc:
        raise conflict_from_integrity_error(exc) from exc
