"""Model fields for PostgreSQL network types."""

from __future__ import annotations

from typing import Any

from django.db import models


def money_field(**kwargs: Any) -> models.DecimalField:
    """A Decimal amount in currency units: 14 digits, 4 decimals (rounding to the
    currency's minor unit happens in ``core.money``, not in the column)."""
    return models.DecimalField(max_digits=14, decimal_places=4, **kwargs)


class CidrField(models.CharField):
    """A PostgreSQL ``cidr`` column (an IP network such as ``100.64.0.0/22``).

    Values are strings in Python; PostgreSQL itself refuses host bits set.
    """

    description = "IP network (PostgreSQL cidr)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 43)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: Any) -> str:
        return "cidr"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else str(value)

    def to_python(self, value: Any) -> str | None:
        return None if value is None else str(value)


class InetField(models.GenericIPAddressField):
    """A PostgreSQL ``inet`` column holding a host address, as a string in Python."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else str(value).split("/")[0]
