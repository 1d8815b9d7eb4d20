"""Template filters of the Customer 360 page."""

from __future__ import annotations

from django import template

register = template.Library()

_BADGES = {
    "active": "ok",
    "paid": "ok",
    "suspended": "warn",
    "partially_paid": "warn",
    "issued": "warn",
    "pending": "",
    "closed": "bad",
    "terminated": "bad",
    "void": "bad",
    "failed": "bad",
}


@register.filter
def badge(status: str | None) -> str:
    """The badge class (``ok``, ``warn``, ``bad`` or none) for a status value."""
    return _BADGES.get(status or "", "")


@register.filter
def joined(values: list[str] | None) -> str:
    """A list of words as ``a, b, c``."""
    return ", ".join(str(v) for v in values or [])
