"""Staff roles as Django groups, created after every ``migrate``.

A role grants model permissions; the tenant a user works for limits which
rows those permissions reach (``core.tenancy``). ``ROLES`` grants Django's
default permissions by app (``ALL`` means add, change, delete and view);
``EXTRA`` grants single permissions, and is the only way to grant a custom
one (``Meta.permissions``: billing day, revealing secrets). Each API action
names the permissions it needs (``TenantViewSet.required_perms``).

The roles, as an ISP's staff divide the work (a product default):

- ``admin``: everything in its tenant, secrets included.
- ``billing`` (finance clerks): customers, invoices, payments, collections
  (and the job log, where their billing and collections runs are);
  the commercial changes of a subscription that are billed: plan changes
  (they need ``billing.add_charge``), one-time charges, the billing day
  (``subscriptions.change_billing_day``, it bills a prorated bridge period)
  and data top-ups; suspension and reconnection for non-payment. Not the
  network side: no NAS, no RADIUS rows or sessions, no access changes; no
  sign-ups, add-ons or promotions (those are sold, not billed, and stay with
  admin and noc).
- ``noc`` (network operations): NAS, RADIUS, IP pools, the subscription's
  lifecycle, access and add-ons, and may reveal NAS secrets and PPPoE
  passwords and device credentials to configure equipment; the network
  inventory (sites, devices, ONUs, VLANs); sees the outbox's jobs and the
  job log of the periodic runs. Not
  money: no invoices, statements, charges, plan changes or billing day.
- ``support`` (first line): reads what a subscriber asks about (customers,
  subscriptions, invoices, payments, usage, RADIUS sessions and login
  attempts) and edits customer details; books field appointments for them,
  dispatches them (moves or cancels any visit of the tenant) and sees the
  technicians' calendar; secrets stay hidden.
- ``technician`` (field staff): their day's appointments and the customers
  they visit; moves their own visits along (en route, on site, completed)
  with their photos, never a colleague's. Nothing else: no money, no network, no subscriptions.
- Helpdesk: ``support`` and ``noc`` work tickets (open, reply, note, attach,
  move and assign them); ``billing`` reads them and opens and answers them
  (billing issues); the helpdesk's configuration (teams, SLA policies,
  routing, canned responses) is ``admin``'s. Outages: ``noc`` and
  ``support`` declare, update and resolve them; ``billing`` sees them.
- Quotes (``sales``): ``admin``, ``billing`` and ``sales`` draft, send
  (and send again), revise and decline them (a quote is a price promise,
  priced like an invoice); the acceptance is the customer's, through the
  quote's link, or keyed in by them from the customer's signature on paper.
- ``sales`` (the sales team): leads and site surveys, quotes, contracts
  (drafted, amended, activated, renewed; a service credit is a credit note
  and stays with finance), the customers it opens; reads the catalogue and
  subscriptions and follows service orders. No money, no network.
- Vouchers (``hotspot``): ``admin`` and ``billing`` keep voucher plans and
  agents, generate batches and sell them; ``support`` looks codes up and
  sells a single card (``hotspot.change_voucher``); ``noc`` looks codes up.
- Customer portal logins: ``admin``, ``billing`` and ``support`` invite a
  customer's people and switch a login off; the others don't see them.
- Finance reports (MRR, churn, aging; ``reports.view_reports``): ``admin``
  (the owner) and ``billing`` (finance), who also enter the marketing spend
  and gross margin the reports use and schedule reports by email (add,
  change and delete ``reports.reportschedule``: finance keeps its own
  mailing of figures); the others work on single customers.
- Accounting (chart of accounts, journal, exports, revenue recognition,
  month close): ``admin`` and ``billing`` (finance keeps the books and
  closes months, ``accounting.add_accountingperiod``); journal entries and
  the revenue schedule are written by the posting and recognition runs
  only, nobody edits one.
- Hotspot (captive guests, walled garden, MAC profiles, routers'
  onboarding secrets): ``admin`` and ``noc`` run it, ``noc`` reveals and
  rotates routers' secrets; ``support`` reads it to help a guest.
- Customers' plan change requests from the portal: ``admin``, ``billing``
  and ``support`` see them; ``admin`` and ``billing`` approve or reject them
  (``portal.decide_planchangerequest``: an approval changes the bill).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

ALL = ("add", "change", "delete", "view")
VIEW = ("view",)
EDIT = ("add", "change", "view")

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "admin": {
        "core": ALL,
        "customers": ALL,
        "catalog": ALL,
        "network": ALL,
        "notifications": ALL,
        "subscriptions": ALL,
        "billing": ALL,
        "radius": ALL,
        "usage": ALL,
        "payments": ALL,
        "collections": ALL,
        # API tokens of the tenant's staff, in the back office.
        "api": ALL,
        "webhooks": ALL,
        # Leads, surveys, service orders and the adapter settings.
        "provisioning": ALL,
        "tickets": ALL,
        "portal": ALL,
        "reports": ALL,
        "sales": ALL,
        "hotspot": ALL,
        # The chart of accounts, its mappings, the journal and closed months.
        "accounting": ALL,
    },
    "billing": {
        "customers": EDIT,
        "catalog": VIEW,
        "subscriptions": ("change", "view"),
        "billing": ALL,
        "payments": ALL,
        "collections": ALL,
        "notifications": VIEW,
        "usage": VIEW,
        "provisioning": VIEW,
        # Invites the customer's billing contacts to the portal.
        "portal": EDIT,
        # Finance enters the marketing spend and the gross margin the reports use.
        "reports": EDIT,
        # Quotes are priced like invoices; finance drafts, sends and revises them.
        "sales": ALL,
        # Finance keeps the chart of accounts, reads and exports the journal
        # and the revenue schedule, closes months and spreads a fee over a term.
        "accounting": EDIT,
    },
    "noc": {
        "customers": VIEW,
        "catalog": VIEW,
        "network": ALL,
        "subscriptions": ALL,
        "radius": ALL,
        "usage": VIEW,
        # Guests, walled garden, devices and routers' onboarding secrets.
        "hotspot": ALL,
    },
    "support": {
        "customers": EDIT,
        "catalog": VIEW,
        # The NAS a subscriber connects through, when a login fails.
        "network": VIEW,
        "subscriptions": VIEW,
        "billing": VIEW,
        "payments": VIEW,
        "radius": VIEW,
        "usage": VIEW,
        "notifications": VIEW,
        "tickets": VIEW,
        # Invites subscribers to the portal and switches a login off.
        "portal": EDIT,
        # Looks up a hotspot guest, device or session when a login fails.
        "hotspot": VIEW,
    },
    "technician": {
        "customers": VIEW,
    },
    "sales": {
        # Opens the customer a quote is for, and reads what it may sell.
        "customers": EDIT,
        "catalog": VIEW,
        "subscriptions": VIEW,
        # Drafts, sends and revises quotes; drafts and activates contracts.
        "sales": EDIT,
    },
}

# Working tickets: open, reply, note, attach, move and assign. Billing opens
# and answers billing issues but leaves their handling to the owning team.
_TICKET_WORK = (
    "tickets.add_ticket",
    "tickets.change_ticket",
    "tickets.add_ticketmessage",
    "tickets.add_attachment",
)
_TICKET_OPEN = ("tickets.add_ticket", "tickets.add_ticketmessage", "tickets.add_attachment")
# Reading the helpdesk (not the field service's technicians and visits).
_HELPDESK_VIEW = tuple(
    f"tickets.view_{model}"
    for model in (
        "ticket",
        "ticketmessage",
        "attachment",
        "cannedresponse",
        "team",
        "teammember",
        "ticketrouting",
        "slapolicy",
        "holiday",
        "ticketsettings",
        "ticketemail",
        "outage",
        "outageimpact",
    )
)
# Declaring, updating and resolving outages.
_OUTAGE_WORK = ("tickets.add_outage", "tickets.change_outage")
# Sales and provisioning by model: noc runs service orders and reads leads;
# support takes leads and surveys and follows orders.
_NOC_PROVISIONING = (
    "provisioning.add_serviceorder",
    "provisioning.change_serviceorder",
    "provisioning.view_serviceorder",
    "provisioning.view_orderstep",
    "provisioning.view_lead",
    "provisioning.view_sitesurvey",
    "provisioning.view_surveyphoto",
)
# Vouchers: admin and billing keep the voucher plans and agents, generate
# batches and sell them (a sale is money, commission is owed on it); support
# looks a code up for a caller and sells a single card over the counter;
# noc looks codes up when a hotspot login fails.
_VOUCHER_MODELS = ("voucherplan", "voucheragent", "voucherbatch", "voucher")
_VOUCHER_SALES = tuple(f"hotspot.{action}_{model}" for model in _VOUCHER_MODELS for action in EDIT)
_VOUCHER_VIEW = tuple(f"hotspot.view_{model}" for model in _VOUCHER_MODELS)
_SUPPORT_PROVISIONING = tuple(
    f"provisioning.{action}_{model}"
    for model in ("lead", "sitesurvey", "surveyphoto")
    for action in EDIT
) + ("provisioning.view_serviceorder", "provisioning.view_orderstep")

EXTRA: dict[str, tuple[str, ...]] = {
    "admin": (
        "portal.decide_planchangerequest",
        "subscriptions.change_billing_day",
        "subscriptions.reveal_password",
        "network.reveal_secret",
        "network.reveal_credentials",
        "hotspot.reveal_routersecret",
        "provisioning.force_convert_lead",
        "reports.view_reports",
    ),
    "billing": (
        "reports.view_reports",
        "reports.delete_reportschedule",
        "portal.decide_planchangerequest",
        "subscriptions.change_billing_day",
        "usage.add_topup",
        *_VOUCHER_SALES,
        # Follows the billing and collections runs in the job log.
        "core.view_jobexecution",
        *_HELPDESK_VIEW,
        *_TICKET_OPEN,
    ),
    # noc watches the outbox (CoA, RADIUS sync jobs) on the console's dashboard.
    "noc": (
        "subscriptions.reveal_password",
        "network.reveal_secret",
        "network.reveal_credentials",
        "hotspot.reveal_routersecret",
        "core.view_job",
        "core.view_jobexecution",
        *_HELPDESK_VIEW,
        *_TICKET_WORK,
        *_OUTAGE_WORK,
        *_NOC_PROVISIONING,
        *_VOUCHER_VIEW,
    ),
    # Field service: support books visits, technicians carry them out.
    "support": (
        *_TICKET_WORK,
        *_OUTAGE_WORK,
        *_SUPPORT_PROVISIONING,
        *_VOUCHER_VIEW,
        "hotspot.change_voucher",
        "tickets.view_technician",
        "tickets.view_appointment",
        "tickets.add_appointment",
        # Dispatch: move any of the tenant's visits (cancel, mark failed).
        "tickets.change_appointment",
    ),
    # Sales: leads and site surveys, following the orders its quotes open; a
    # first draft of a quote is deleted. No money: invoices, payments and
    # credit notes (service credits) are finance's.
    "sales": (
        *_SUPPORT_PROVISIONING,
        "sales.delete_quote",
        "sales.delete_quoteline",
    ),
    "technician": (
        "tickets.view_technician",
        "tickets.view_appointment",
        "tickets.change_appointment",
        "tickets.view_appointmentphoto",
        "tickets.add_appointmentphoto",
    ),
}

# Numbering counters are never edited by hand.
_NEVER = {("core", "sequence")}
# A tenant's admin may edit its own tenant's settings, never add or delete tenants.
_TENANT_ACTIONS = ("change", "view")


def ensure_roles(sender: Any = None, **_: Any) -> None:
    """Create or refresh the role groups and their permissions (idempotent).

    Connected to ``post_migrate``, which fires once per app: only the last
    app's signal does the work, when every permission exists.
    """
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not None and sender is not with_models[-1]:
        return
    every = Permission.objects.select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in every}
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([by_name[name] for name in sorted(role_permissions(role, by_name))])


def role_permissions(role: str, known: Any) -> set[str]:
    """The permissions (``app_label.codename``) ``role`` holds, out of ``known``
    (every permission's name).

    Raises KeyError for an unknown role or an ``EXTRA`` permission that does
    not exist (a typo must not grant nothing silently).
    """
    from django.apps import apps

    names = set(known)
    granted = set()
    for app_label, actions in ROLES[role].items():
        for model in apps.get_app_config(app_label).get_models():
            name = model._meta.model_name
            if (app_label, name) in _NEVER:
                continue
            allowed = _TENANT_ACTIONS if (app_label, name) == ("core", "tenant") else actions
            # Only Django's default permissions: a custom one is granted in EXTRA.
            granted |= {f"{app_label}.{a}_{name}" for a in actions if a in allowed}
    for name in EXTRA.get(role, ()):
        if name not in names:
            raise KeyError(f"role {role} grants {name}, which does not exist")
        granted.add(name)
    return granted & names
