"""Text for a cell of a CSV or XLSX file that a clerk opens in a spreadsheet."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: A text cell starting with one of these is a formula to a spreadsheet
#: (OWASP "CSV injection"): a customer's name or a ticket's subject must
#: never run as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any) -> Any:
    """``value`` safe to write into a cell: text without the control
    characters an XLSX file cannot hold (openpyxl refuses them), and text
    that a spreadsheet would take for a formula quoted with a leading
    apostrophe (a signed number such as ``-12.50`` stays a number). Other
    values are returned as they are."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_START) and not _is_number(value):
        return f"'{value}"
    return value


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False
