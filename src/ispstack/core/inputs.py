"""Input checks every service runs before it writes.

A value from a careless client (a number where a name belongs, 300
characters for a 200-character column, ``2**63`` kbit/s, a NUL byte, a
date in the year 9999) must be refused with an ``InvalidInput`` naming the
field and the rule, never reach PostgreSQL and come back as a server error.

The rules are read from the model fields, so a column and its check can't
disagree: ``max_length`` of text columns, the range PostgreSQL gives each
integer type, ``max_digits`` of decimals, ``choices``, nullability. Dates
are held to ``EARLIEST_DATE``..``LATEST_DATE``: outside it a value is a typo
(year 1 or 9999), and date arithmetic on it (a billing period a month
later) would leave the range Python can represent.

Two kinds of helpers:

- ``text``, ``whole_number``, ``positive_number``, ``flag``,
  ``decimal_number``, ``price``, ``currency``, ``day`` and ``owned`` (a row
  of the tenant, given as an instance or an id) turn one raw value into its
  type or raise; services that accept loosely typed input (the admin's and
  the CLI's strings) use them; ``required`` refuses missing fields and
  ``taken`` a name or code in use;
- ``check_values(model, values)`` checks already typed values against the
  model's columns; every service calls it on what it is about to save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

from ispstack.core.errors import Conflict, InvalidInput, NotFound

EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
# Text columns without a length (notes, reasons, remittance) still hold what a
# person writes, not megabytes: a page of text.
TEXT_MAX_LENGTH = 10_000


def text(
    value: Any,
    field: str,
    *,
    required: bool = False,
    max_length: int | None = None,
    strip: bool = True,
) -> str:
    """``value`` as a string, stripped unless ``strip`` is False (secrets and
    passwords keep their spaces); ``None`` reads as empty.

    Raises InvalidInput when ``value`` is not a string (a number, a list),
    holds a NUL byte or a lone surrogate (PostgreSQL text can hold neither),
    is empty while ``required``, or is longer than ``max_length`` characters.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"must be a string, not {_kind(value)}", field=field)
    _check_text(value, field)
    if strip:
        value = value.strip()
    if required and not value:
        raise InvalidInput("is required", field=field)
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"has at most {max_length} characters", field=field)
    return value


def whole_number(value: Any, field: str) -> int:
    """``value`` (an int, or a string of digits) as an int.

    Raises InvalidInput for a bool, a float, a decimal with a fraction or
    any other text. The range is checked by ``check_values``.
    """
    if isinstance(value, bool):
        raise InvalidInput("must be a whole number, not a boolean", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        stripped = value.strip()
        if len(stripped) <= 20:
            return int(stripped)
        raise InvalidInput("is too large", field=field)
    raise InvalidInput(f"must be a whole number, not {_kind(value)}", field=field)


def positive_number(value: Any, field: str, *, allow_none: bool = False) -> int | None:
    """``value`` as a whole number above zero (``whole_number``); None for a
    missing value when ``allow_none`` (an unlimited time or data allowance).
    Raises InvalidInput."""
    if value in (None, "") and allow_none:
        return None
    number = whole_number(value, field)
    if number <= 0:
        raise InvalidInput("must be greater than zero", field=field)
    return number


def flag(value: Any, field: str) -> bool:
    """``value`` as a bool: True/False, or the strings a form or query posts
    (``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``).

    Raises InvalidInput for anything else, so ``"false"`` never reads as True.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off", ""}:
            return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InvalidInput("must be true or false", field=field)


def decimal_number(value: Any, field: str) -> Decimal:
    """``value`` (a Decimal, an int or a decimal string) as a finite Decimal.

    A float is refused: it can't hold a decimal fraction such as 0.1
    exactly. Raises InvalidInput.
    """
    if isinstance(value, bool | float):
        raise InvalidInput("give the number as a decimal string", field=field)
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(f"'{value}' is not a number", field=field) from None
    else:
        raise InvalidInput(f"must be a decimal number, not {_kind(value)}", field=field)
    if not number.is_finite():
        raise InvalidInput("must be a finite number", field=field)
    return number


def price(value: Any, field: str) -> Decimal:
    """A price list amount in its currency's units: not negative, at most 4
    decimals (the scale of every price column). Raises InvalidInput."""
    amount = decimal_number(value, field)
    if amount < 0:
        raise InvalidInput("must not be negative", field=field)
    if amount != amount.quantize(Decimal("0.0001")):
        raise InvalidInput("has at most 4 decimals", field=field)
    return amount


def currency(value: Any, default: str) -> str:
    """An ISO 4217 code, upper-cased; ``default`` (the tenant's) when blank.
    Raises InvalidInput for a code that names no currency."""
    from ispstack.core.money import minor_unit

    code = text(value, "currency").upper() or default
    minor_unit(code)
    return code


def required(data: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Raise InvalidInput ("is required") naming the first of ``fields``
    that ``data`` lacks or leaves blank."""
    for field in fields:
        if data.get(field) in (None, ""):
            raise InvalidInput("is required", field=field)


def owned(tenant: Any, model: Any, value: Any, field: str, label: str = "") -> Any:
    """The row of ``model`` that belongs to ``tenant``, given as an instance
    or an id (``whole_number``). Another tenant's row, or no row, raises
    NotFound naming ``field`` ("no such ``label``": the model's verbose
    name by default), so an id of another tenant reads as unknown."""
    if isinstance(value, model):
        row = value if value.tenant_id == tenant.pk else None
    else:
        row = model.objects.filter(tenant=tenant, pk=whole_number(value, field)).first()
    if row is None:
        raise NotFound(f"no such {label or model._meta.verbose_name} in this ISP", field=field)
    return row


def taken(
    queryset: models.QuerySet[Any], instance: models.Model | None, message: str, field: str
) -> None:
    """Raise Conflict(``message``, ``field``) when ``queryset``, less the row
    being changed (``instance``), has a row: a name or code already in use,
    refused before the unique constraint would be."""
    if instance is not None:
        queryset = queryset.exclude(pk=instance.pk)
    if queryset.exists():
        raise Conflict(message, field=field)


def day(value: Any, field: str) -> dt.date:
    """``value`` (a date or an ISO 8601 ``YYYY-MM-DD`` string) as a date within
    ``EARLIEST_DATE``..``LATEST_DATE``. Raises InvalidInput."""
    if isinstance(value, dt.datetime):
        raise InvalidInput("must be a date, not a date and time", field=field)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(f"'{value}' is not a date (YYYY-MM-DD)", field=field) from None
    if not isinstance(value, dt.date):
        raise InvalidInput(f"must be a date, not {_kind(value)}", field=field)
    check_date(value, field)
    return value


def check_date(value: dt.date, field: str) -> None:
    """Raise InvalidInput when ``value`` lies outside ``EARLIEST_DATE``..``LATEST_DATE``."""
    moment = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= moment <= LATEST_DATE:
        raise InvalidInput(
            f"must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}",
            field=field,
        )


def check_values(model: type[models.Model], values: Mapping[str, Any], *, prefix: str = "") -> None:
    """Check typed ``values`` (field name -> value) against ``model``'s columns.

    Each value must have its column's Python type, fit its size (text length,
    integer range of the PostgreSQL type, digits before the decimal point),
    be one of its ``choices``, and be None only where the column is nullable.
    Keys that are not concrete fields of ``model`` are ignored. ``prefix`` is
    put before the field name in the error (``lines[2].``).

    Raises InvalidInput naming the first field at fault.
    """
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not getattr(field, "concrete", False) or field.auto_created:
            continue
        check_field(field, value, prefix + name)


def check_field(field: Any, value: Any, name: str) -> None:
    """Check one value against one model field; see ``check_values``."""
    if value is None:
        if not field.null:
            raise InvalidInput("is required", field=name)
        return
    if isinstance(field, models.ForeignKey):
        if not isinstance(value, field.related_model):
            raise InvalidInput(f"must be a {field.related_model._meta.verbose_name}", field=name)
        return
    if isinstance(field, ArrayField):
        if not isinstance(value, list | tuple):
            raise InvalidInput(f"must be a list, not {_kind(value)}", field=name)
        for index, item in enumerate(value):
            check_field(field.base_field, item, f"{name}[{index}]")
        return
    if isinstance(field, models.BooleanField):
        if not isinstance(value, bool):
            raise InvalidInput("must be true or false", field=name)
        return
    if isinstance(field, models.CharField | models.TextField):
        _check_char(field, value, name)
    elif isinstance(field, models.IntegerField):
        _check_integer(field, value, name)
    elif isinstance(field, models.DecimalField):
        _check_decimal(field, value, name)
    elif isinstance(field, models.DateField):
        if not isinstance(value, dt.date):
            raise InvalidInput(f"must be a date, not {_kind(value)}", field=name)
        check_date(value, name)
    if field.choices and not isinstance(field, ArrayField):
        allowed = [choice for choice, _label in field.flatchoices]
        if value not in allowed:
            shown = ", ".join(str(choice) for choice in allowed[:20])
            raise InvalidInput(f"must be one of {shown}", field=name)


def _check_char(field: Any, value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"must be a string, not {_kind(value)}", field=name)
    _check_text(value, name)
    limit = field.max_length or TEXT_MAX_LENGTH
    if len(value) > limit:
        raise InvalidInput(f"has at most {limit} characters", field=name)


def _check_integer(field: Any, value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"must be a whole number, not {_kind(value)}", field=name)
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    if low is not None and value < low:
        raise InvalidInput(f"must be at least {low}", field=name)
    if high is not None and value > high:
        raise InvalidInput(f"must be at most {high}", field=name)


def _check_decimal(field: Any, value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidInput(f"must be a decimal number, not {_kind(value)}", field=name)
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidInput("must be a finite number", field=name)
    whole_digits = field.max_digits - field.decimal_places
    if abs(number) >= Decimal(10) ** whole_digits:
        raise InvalidInput(f"must be less than 10^{whole_digits}", field=name)


def _check_text(value: str, name: str) -> None:
    if "\x00" in value:
        raise InvalidInput("must not contain a NUL character", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("must be valid Unicode text (a lone surrogate)", field=name) from None


def _kind(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        Decimal: "a number",
        list: "a list",
        tuple: "a list",
        dict: "an object",
        str: "a string",
    }
    return names.get(type(value), type(value).__name__)


def unknown_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Raise InvalidInput naming the first key of ``data`` not in ``allowed``."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
