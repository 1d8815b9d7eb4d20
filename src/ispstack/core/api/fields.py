"""Strict input fields and the input serializer every write endpoint uses.

DRF's stock fields are lenient where a careless client does harm: a
``CharField`` turns the number ``5`` into ``"5"``, an ``IntegerField`` reads
``true`` as 1 and ``1.9`` as 1, a ``DateField`` takes the year 9999, and a
``PrimaryKeyRelatedField`` looks at every tenant's rows. These refuse all
of that with a 400 naming the field, before any service runs.

``InputSerializer`` is a ``ModelSerializer`` that only validates: each
field's type, length, integer range and digits come from the model column
(DRF reads ``max_length``, ``max_digits`` and the PostgreSQL integer range
from the model field), its relations are scoped to the request's tenant,
and it never saves; the view hands ``validated_data`` to a service.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from ispstack.core.inputs import EARLIEST_DATE, LATEST_DATE, TEXT_MAX_LENGTH
from ispstack.core.tenancy import scope


class StrictCharField(serializers.CharField):
    """A string, and only a string: a number or a list is refused, as are NUL
    characters and lone surrogates (DRF's defaults)."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField, StrictCharField):
    """An email address given as a string."""


class StrictSlugField(serializers.SlugField, StrictCharField):
    """A code of letters, digits, ``-`` and ``_`` (it names RADIUS groups and URLs)."""


class StrictIntegerField(serializers.IntegerField):
    """A whole number: an int, or a string of digits (form posts); never a
    boolean, a fraction or a number too long to be one."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 24:
            self.fail("max_string_length")
        if isinstance(data, list | dict):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal number as a string or a JSON number; a boolean is refused."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool | list | dict):
            self.fail("invalid")
        return super().to_internal_value(data)


class AmountField(StrictDecimalField):
    """A money amount in the currency's units, as a decimal string (``"12.50"``)
    or a JSON number; up to what a money column holds (14 digits, 4
    decimals). The service checks it against the currency's minor unit."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(**kwargs)


class StrictBooleanField(serializers.BooleanField):
    """``true``/``false`` (or the form values DRF knows); a list or object is refused."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, list | dict):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDateField(serializers.DateField):
    """An ISO 8601 date between 1970-01-01 and 2199-12-31: outside that it is a
    typo, and a billing period computed from it would leave the calendar."""

    default_error_messages = {
        "out_of_range": (
            f"Must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."
        ),
    }

    def to_internal_value(self, value: Any) -> dt.date:
        if not isinstance(value, str | dt.date):
            self.fail("invalid", format="YYYY-MM-DD")
        result = super().to_internal_value(value)
        if not EARLIEST_DATE <= result <= LATEST_DATE:
            self.fail("out_of_range")
        return result


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by id, looked up only among the request user's tenant's
    rows: another tenant's id reads as "does not exist", like an unknown one."""

    default_error_messages = {
        "does_not_exist": "No such object in this tenant (id {pk_value}).",
        "incorrect_type": "Must be an id (a whole number), not {data_type}.",
    }

    def get_queryset(self) -> Any:
        queryset: Any = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return queryset.none()
        return scope(queryset, user)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not data.strip().isdigit():
            self.fail("incorrect_type", data_type="str")
        if int(data) > 2**63 - 1:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class RefuseUnknownFields:
    """Refuse a body key the serializer does not declare, naming it, rather
    than drop it silently: a misspelt field would otherwise change nothing."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                accepted = ", ".join(sorted(self.fields))
                raise serializers.ValidationError(
                    {unknown[0]: [f"Unknown field; this operation accepts: {accepted}."]}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class InputSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    """Validates a write's body against the model's columns; never saves.

    Subclasses set ``Meta.model`` and ``Meta.fields`` (the fields the
    operation accepts) and may declare extra fields. Unknown keys in the
    body are refused rather than silently dropped, so a typo in a field name
    is seen.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.PositiveBigIntegerField: StrictIntegerField,
        models.DecimalField: StrictDecimalField,
        models.BooleanField: StrictBooleanField,
        models.DateField: BoundedDateField,
    }
    serializer_related_field = TenantPrimaryKeyRelatedField

    def build_standard_field(self, field_name: str, model_field: Any) -> Any:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.CharField) and not kwargs.get("max_length"):
            kwargs["max_length"] = TEXT_MAX_LENGTH
        # Uniqueness is the service's and the database's to answer, as a 409
        # naming the rule, not DRF's unscoped 400.
        kwargs["validators"] = [
            v for v in kwargs.get("validators", []) if not isinstance(v, UniqueValidator)
        ]
        return field_class, kwargs

    def get_validators(self) -> list[Any]:
        return []

    def create(self, validated_data: Any) -> Any:  # pragma: no cover - views call services
        raise NotImplementedError("input serializers validate; services write")

    def update(self, instance: Any, validated_data: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("input serializers validate; services write")


class Input(RefuseUnknownFields, serializers.Serializer):
    """A plain input serializer (an action's parameters) that refuses unknown keys."""
