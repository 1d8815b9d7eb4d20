"""The console's menu: sections of links, each shown to users holding its permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Link:
    """A menu entry: its label, URL name and the permission it needs (or none)."""

    label: Any
    url_name: str
    perm: str = ""


SECTIONS: list[tuple[Any, list[Link]]] = [
    (_("Overview"), [Link(_("Dashboard"), "console:home")]),
    (
        _("Customers"),
        [
            Link(_("Customers"), "console:customers-list", "customers.view_customer"),
            Link(
                _("Subscriptions"),
                "console:subscriptions-list",
                "subscriptions.view_subscription",
            ),
            Link(
                _("Plan change requests"),
                "console:plan-changes",
                "portal.view_planchangerequest",
            ),
        ],
    ),
    (
        _("Helpdesk"),
        [
            Link(_("Queues"), "console:helpdesk", "tickets.view_ticket"),
            Link(_("My tickets"), "console:helpdesk-mine", "tickets.view_ticket"),
            Link(_("New ticket"), "console:helpdesk-new", "tickets.add_ticket"),
            Link(_("Outages"), "console:outages", "tickets.view_outage"),
        ],
    ),
    (
        _("Billing"),
        [
            Link(_("Invoices"), "console:invoices-list", "billing.view_invoice"),
            Link(_("Payments"), "console:payments-list", "payments.view_payment"),
            Link(
                _("Bank statement lines"),
                "console:statement-lines-list",
                "payments.view_statementline",
            ),
            Link(_("Bank transfers"), "console:transfers-list", "payments.view_banktransfer"),
        ],
    ),
    (
        _("Finance"),
        [
            Link(_("Journal"), "console:journal", "accounting.view_journalentry"),
            Link(_("Chart of accounts"), "console:journal-chart", "accounting.view_journalentry"),
            Link(
                _("Revenue recognition"),
                "console:revenue-recognition",
                "accounting.view_revenuescheduleentry",
            ),
        ],
    ),
    (
        _("Reports"),
        [
            Link(_("MRR and churn"), "console:reports", "reports.view_reports"),
            Link(_("Subscribers by plan"), "console:reports-plans", "reports.view_reports"),
            Link(_("Aging of overdue invoices"), "console:reports-aging", "reports.view_reports"),
            Link(
                _("Payment success and failure"),
                "console:reports-payment-success",
                "reports.view_reports",
            ),
            Link(
                _("Dunning effectiveness"),
                "console:reports-dunning-effectiveness",
                "reports.view_reports",
            ),
            Link(
                _("Revenue by service type"),
                "console:reports-revenue-by-service",
                "reports.view_reports",
            ),
            Link(
                _("Payment method mix"), "console:reports-payment-methods", "reports.view_reports"
            ),
            Link(
                _("Credit notes and refunds"),
                "console:reports-credit-notes-refunds",
                "reports.view_reports",
            ),
            Link(_("Usage by plan"), "console:reports-usage", "reports.view_reports"),
            Link(_("Top users"), "console:reports-top-users", "reports.view_reports"),
            Link(
                _("Overdue balance by site"),
                "console:reports-overdue-sites",
                "reports.view_reports",
            ),
            Link(
                _("Ticket resolution times"),
                "console:reports-ticket-resolution",
                "tickets.view_ticket",
            ),
            Link(_("SLA compliance"), "console:reports-ticket-sla", "tickets.view_ticket"),
        ],
    ),
    (
        _("Sales & provisioning"),
        [
            Link(_("Leads"), "console:leads-list", "provisioning.view_lead"),
            Link(_("Quotes"), "console:quotes-list", "sales.view_quote"),
            Link(_("Vouchers"), "console:vouchers", "hotspot.view_voucherbatch"),
            Link(_("Contracts"), "console:contracts-list", "sales.view_contract"),
            Link(_("New contract"), "console:contract-new", "sales.add_contract"),
            Link(_("Service orders"), "console:orders", "provisioning.view_serviceorder"),
            Link(_("All orders"), "console:service-orders-list", "provisioning.view_serviceorder"),
        ],
    ),
    (
        _("Network"),
        [
            Link(_("Online sessions"), "console:noc-sessions", "radius.view_radacct"),
            Link(_("Why a login fails"), "console:noc-auth", "radius.view_radpostauth"),
            Link(_("CoA log"), "console:noc-coa", "radius.view_coarequest"),
            Link(_("NAS"), "console:noc-nas", "network.view_nas"),
            Link(_("Sites"), "console:network-sites-list", "network.view_site"),
            Link(_("Devices"), "console:network-devices-list", "network.view_device"),
            Link(_("ONUs"), "console:network-onus-list", "network.view_onu"),
        ],
    ),
    (
        _("Hotspot"),
        [
            Link(_("Guests"), "console:hotspot-guests-list", "hotspot.view_captiveuser"),
            Link(_("Hotspot sessions"), "console:hotspot-sessions", "hotspot.view_captiveuser"),
            Link(_("Devices (MAC)"), "console:hotspot-devices-list", "hotspot.view_macprofile"),
            Link(
                _("Walled garden"),
                "console:hotspot-walled-garden",
                "hotspot.view_walledgardenentry",
            ),
            Link(
                _("Router onboarding secrets"),
                "console:hotspot-routers",
                "hotspot.view_routersecret",
            ),
        ],
    ),
    (
        _("Field service"),
        [
            Link(_("My day"), "console:field-my-day", "tickets.view_appointment"),
            Link(_("Field calendar"), "console:field-calendar", "tickets.view_technician"),
        ],
    ),
    (
        _("Operations"),
        [
            Link(_("Billing and collections runs"), "console:runs", "billing.view_billingrun"),
            Link(_("Background jobs"), "console:jobs-list", "core.view_job"),
            Link(_("Job log"), "console:job-runs-list", "core.view_jobexecution"),
            Link(_("My exports"), "console:exports"),
        ],
    ),
]


# The menu of each permission set as HTML, built once per process: it depends
# on nothing else (the language and script prefix are part of the key, the
# current page's mark is added per request), so no entry is ever stale.
# Bounded by the number of distinct permission sets (roles and their
# combinations). Rendering the links with the page's template was a sizeable
# share of every console page's time, for the same markup each time.
_MENUS: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
_MAX_MENUS = 1024
_LINK_PERMS = frozenset(link.perm for _title, links in SECTIONS for link in links if link.perm)
_CURRENT = ' aria-current="page"'


def _menu_html(allowed: frozenset[str]) -> list[tuple[str, str]]:
    """The menu's HTML as (URL, markup) pairs: a link's ``<li>`` (with a
    ``{current}`` slot for its mark) after its section's heading, in order."""
    parts: list[tuple[str, str]] = []
    for title, links in SECTIONS:
        visible = [link for link in links if not link.perm or link.perm in allowed]
        if not visible:
            continue
        parts.append(("", format_html("<h2>{}</h2><ul>", title)))
        for link in visible:
            url = reverse(link.url_name)
            parts.append(
                (url, format_html('<li><a href="{}"{{current}}>{}</a></li>', url, link.label))
            )
        parts.append(("", "</ul>"))
    return parts


def menu(request: Any) -> dict[str, Any]:
    """Context processor: ``console_sidebar``, the HTML of the menu's sections
    with the links the user may open, the current page's link marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"console_sidebar": ""}
    allowed = frozenset(perm for perm in _LINK_PERMS if user.has_perm(perm))
    key = (allowed, get_script_prefix(), get_language())
    parts = _MENUS.get(key)
    if parts is None:
        parts = _menu_html(allowed)
        if len(_MENUS) < _MAX_MENUS:
            _MENUS[key] = parts
    html = "".join(
        markup.replace("{current}", _CURRENT if url == request.path else "") if url else markup
        for url, markup in parts
    )
    return {"console_sidebar": mark_safe(html)}  # every part escaped by format_html
