"""Template filters and tags of the Customer 360 page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

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


_CURRENT = mark_safe(' aria-current="page"')


@register.simple_tag
def tab_links(tabs: list[Any], current: str, path: str) -> SafeString:
    """The page's tabs (``views.customer.Tab``) as links to ``?tab=``, which
    HTMX fetches into the page; ``current``'s marked. One tag rather than a
    loop of five nodes a tab: this is on every 360 page."""
    return format_html_join(
        "",
        '<a href="?tab={}" hx-get="{}?tab={}" hx-target="#c360-tabs" hx-swap="outerHTML"'
        ' hx-push-url="true"{}>{}</a>',
        ((t.key, path, t.key, _CURRENT if t.key == current else "", t.label) for t in tabs),
    )
