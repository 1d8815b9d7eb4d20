"""Template filters of the portal: values as a subscriber reads them (see
``core.display``), in the portal user's tenant's currency symbol and time zone,
and in the locale of the tenant's portal branding when it has one (amounts
and dates as CLDR writes them there: ``1.234,50 €`` in ``de_DE``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy

from ispstack.core import clock, display
from ispstack.portal import selectors
from ispstack.portal.charts import daily_chart

register = template.Library()


def _tenant(context: template.Context) -> Any:
    return context.get("tenant")


def _locale(tenant: Any) -> str:
    """The locale of the tenant's portal (``""``: the interface's format)."""
    if tenant is None or getattr(tenant, "pk", None) is None:
        return ""
    return selectors.branding_for(tenant).locale


@register.simple_tag(takes_context=True)
def portal_brand(context: template.Context) -> selectors.Brand | None:
    """The tenant's branding for the layout (``{% portal_brand as brand %}``);
    None without a tenant."""
    tenant = _tenant(context)
    return selectors.brand_of(tenant) if tenant is not None else None


#: The signed-in portal's tabs: (``nav`` key, URL name, label).
TABS = (
    ("dashboard", "portal:dashboard", gettext_lazy("Overview")),
    ("invoices", "portal:invoices", gettext_lazy("Invoices")),
    ("payments", "portal:payments", gettext_lazy("Payments")),
    ("methods", "portal:methods", gettext_lazy("Payment methods")),
    ("transfers", "portal:transfers", gettext_lazy("Bank transfers")),
    ("tickets", "portal:tickets", gettext_lazy("Support")),
    ("profile", "portal:profile", gettext_lazy("Profile")),
    ("notifications", "portal:preferences", gettext_lazy("Notifications")),
)
# The tabs of each tenant slug as HTML, built once per process: they depend
# on nothing else (the language, script prefix and URL map, which differs on
# a tenant's own host, are part of the key; the current tab is marked per
# request), so no entry is ever stale. Reversing eight URLs and rendering
# the links with the page's template was a sizeable share of every page.
_TABS: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
_MAX_TABS = 4096


@register.simple_tag(takes_context=True)
def portal_tabs(context: template.Context) -> SafeString:
    """The portal's tab links for the tenant of the page, the page's own
    (``nav``) marked ``aria-current="page"``: ``{% portal_tabs %}``."""
    slug = _tenant(context).slug
    key = (slug, get_script_prefix(), get_language(), get_urlconf())
    parts = _TABS.get(key)
    if parts is None:
        parts = [
            (
                nav,
                format_html(
                    '<a href="{}"{{current}}>{}</a>',
                    reverse(name, kwargs={"tenant": slug}),
                    label,
                ),
            )
            for nav, name, label in TABS
        ]
        if len(_TABS) < _MAX_TABS:
            _TABS[key] = parts
    current = context.get("nav")
    html = "\n  ".join(
        markup.replace("{current}", ' aria-current="page"' if nav == current else "")
        for nav, markup in parts
    )
    return mark_safe(html)  # every part escaped by format_html


@register.inclusion_tag("portal/_usage_chart.html", takes_context=True)
def usage_chart(
    context: template.Context, service: selectors.Service, days: list[selectors.UsageDay]
) -> dict[str, Any]:
    """A service's cycle as the dashboard's usage bar (with the top-up link)
    followed by the daily chart (``portal.charts``) and its figures as a
    table: ``{% usage_chart service days %}``."""
    tenant = _tenant(context)
    today = clock.today(tenant)
    return {
        "tenant": tenant,
        "service": service,
        "chart": daily_chart(service.usage, days, today),
    }


@register.simple_tag(takes_context=True)
def money(context: template.Context, amount: Decimal | None, currency: str = "") -> str:
    """``amount`` with its currency (default: the tenant's): ``R 573.85``, or
    as the portal's locale writes it (``1.234,50 €``)."""
    tenant = _tenant(context)
    locale = _locale(tenant)
    if locale:
        return display.locale_money(amount, currency or tenant.currency, locale)
    return display.tenant_money(amount, tenant, currency)


@register.simple_tag(takes_context=True)
def local_time(context: template.Context, moment: dt.datetime | None) -> str:
    """An aware datetime in the tenant's time zone: ``2026-11-29 14:05``, or in
    the portal's locale (``29.11.2026, 14:05``)."""
    tenant = _tenant(context)
    locale = _locale(tenant)
    if locale:
        return display.locale_datetime(moment, tenant, locale)
    return display.local_datetime(moment, tenant)


@register.simple_tag(takes_context=True)
def local_date(context: template.Context, day: dt.date | None) -> str:
    """A date (a tenant-local day: issue dates, payment days) as ``2026-11-29``,
    or in the portal's locale (``29.11.2026``)."""
    if day is None:
        return ""
    locale = _locale(_tenant(context))
    return display.locale_date(day, locale) if locale else day.isoformat()


@register.filter
def data_size(octets: int | None) -> str:
    """Bytes in decimal units: ``1.2 GB``."""
    return display.data_size(octets)


@register.filter
def percent(value: Decimal | int | None) -> str:
    """A rate in percent as people write it: ``15 %``, ``7.5 %``."""
    return display.percent(value)


@register.filter
def duration(seconds: int | float | dt.timedelta | None) -> str:
    """Seconds as ``2 h 5 min``."""
    return display.duration(seconds)


@register.filter
def mbits(kbps: int | None) -> str:
    """A rate in kbit/s in Mbit/s as plans are sold: ``50 Mbit/s``, ``0.5 Mbit/s``."""
    if kbps is None:
        return ""
    return f"{display.quantity(Decimal(kbps) / 1000)}\u00a0Mbit/s"


@register.filter
def masked(method: Any) -> str:
    """A saved payment method as the customer recognises it, never more than
    four digits: ``Visa •••• 4242, expires 12/2030`` or ``IBAN DE•• •••• 3000``."""
    if method.kind == "card":
        text = f"{(method.card_brand or 'card').title()} •••• {method.card_last4}"
        if method.card_exp_month and method.card_exp_year:
            text += ", " + gettext("expires %(month)02d/%(year)d") % {
                "month": method.card_exp_month,
                "year": method.card_exp_year,
            }
        return text
    return f"IBAN {method.iban[:2]}•• •••• {method.iban[-4:]}"
