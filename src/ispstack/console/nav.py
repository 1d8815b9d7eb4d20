"""The console's menu: sections of links, each shown to users holding its permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import get_script_prefix, reverse
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
        _("Reports"),
        [
            Link(_("MRR and churn"), "console:reports", "reports.view_reports"),
            Link(_("Subscribers by plan"), "console:reports-plans", "reports.view_reports"),
            Link(_("Aging of overdue invoices"), "console:reports-aging", "reports.view_reports"),
        ],
    ),
    (
        _("Sales & provisioning"),
        [
            Link(_("Leads"), "console:leads-list", "provisioning.view_lead"),
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


# The menu of each permission set, built once per process: it depends on
# nothing else (the labels are translated when rendered, the language and
# script prefix are part of the key), so no entry is ever stale. Bounded by
# the number of distinct permission sets (roles and their combinations).
_MENUS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_MAX_MENUS = 1024
_LINK_PERMS = frozenset(link.perm for _title, links in SECTIONS for link in links if link.perm)


def menu(request: Any) -> dict[str, Any]:
    """Context processor: ``console_menu``, the sections with the links the user
    may open, and ``console_path`` to mark the current one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"console_menu": []}
    allowed = frozenset(perm for perm in _LINK_PERMS if user.has_perm(perm))
    key = (allowed, get_script_prefix(), get_language())
    sections = _MENUS.get(key)
    if sections is None:
        sections = []
        for title, links in SECTIONS:
            visible = [
                {"label": link.label, "url": reverse(link.url_name)}
                for link in links
                if not link.perm or link.perm in allowed
            ]
            if visible:
                sections.append({"title": title, "links": visible})
        if len(_MENUS) < _MAX_MENUS:
            _MENUS[key] = sections
    return {"console_menu": sections, "console_path": request.path}
