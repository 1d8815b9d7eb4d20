"""Gap-free document numbers per tenant and year (invoices, accounts).

The counter row is locked with ``SELECT ... FOR UPDATE`` inside the caller's
transaction: two concurrent issuers wait for each other, and when the
caller's transaction rolls back the number is given back, so issued numbers
never have gaps (a legal requirement for invoices in the EU VAT directive,
art. 226(2)).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ispstack.core.models import Sequence, Tenant


def next_number(tenant: Tenant, name: str, year: int, fmt: str) -> str:
    """Take the next number of ``name`` for ``year`` and format it.

    ``fmt`` is a ``str.format`` template with ``{year}`` and ``{seq}``
    (e.g. ``INV-{year}-{seq:05d}``). Must run inside a transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that uses the number")
    return next_numbers(tenant, name, year, fmt, 1)[0]


def next_numbers(tenant: Tenant, name: str, year: int, fmt: str, count: int) -> list[str]:
    """Take ``count`` consecutive numbers at once (one row lock for a whole batch).

    Must run inside the transaction that uses them, like ``next_number``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_numbers must run inside the transaction that uses the numbers")
    if count == 0:
        return []
    Sequence.objects.get_or_create(tenant=tenant, name=name, year=year)
    seq = Sequence.objects.select_for_update().get(tenant=tenant, name=name, year=year)
    first = seq.last_value + 1
    seq.last_value += count
    seq.save(update_fields=["last_value", "updated_at"])
    return [fmt.format(year=year, seq=n) for n in range(first, first + count)]


def validate_number_format(value: str) -> None:
    """Model validator of a number format: a ``str.format`` template that uses
    ``{seq}`` and no name other than ``{year}`` and ``{seq}``.

    Raises ValidationError naming what is wrong, so a clerk cannot save a
    format the next invoice or sign-up would fail on.
    """
    if "{seq" not in value:
        raise ValidationError(
            "A number format must contain {seq}, the counter, e.g. INV-{year}-{seq:05d}."
        )
    try:
        value.format(year=2026, seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(
            f"This is not a valid number format ({exc}): use {{year}} and {{seq}}, "
            "e.g. INV-{year}-{seq:05d}."
        ) from None
