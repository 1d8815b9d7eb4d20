"""The built-in search providers, one per kind of thing a clerk looks up.

Each provider filters with conditions an index serves (so that PostgreSQL can
OR bitmap index scans instead of reading the table): the unique B-trees on
account, invoice and credit-note numbers and on ``lower(username)``, the
trigram GIN indexes on ``upper(name)``, ``upper(email)``, ``upper(username)``
and ``iban`` (``core.trigram``), the B-trees on phone, payment reference and
IP address, the GiST indexes of the IPv6 prefix exclusion constraints, and
radacct's partial indexes on the addresses of open sessions.
The rank (exact, prefix, fragment, fuzzy) is computed on the rows found only.
Identifiers (account, invoice, credit-note numbers, payment references) match
exactly, as typed or in capitals.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ispstack.billing import selectors as billing_selectors
from ispstack.billing.models import CreditNote, Invoice
from ispstack.console.links import customer_url
from ispstack.console.search import (
    EXACT,
    FRAGMENT,
    FUZZY,
    PREFIX,
    Hit,
    SearchQuery,
    register,
)
from ispstack.core import display
from ispstack.core.tenancy import scope
from ispstack.core.trigram import trigram_available
from ispstack.customers import selectors as customer_selectors
from ispstack.customers.models import Customer
from ispstack.payments.models import CustomerPaymentMethod, Payment
from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import Subscription


def _forms(query: SearchQuery) -> list[str]:
    """The text as typed and in capitals (identifiers are stored in capitals)."""
    return list(dict.fromkeys([query.text, query.upper]))


def _ranked(queryset: QuerySet[Any], *whens: When, default: int = FUZZY) -> QuerySet[Any]:
    return queryset.annotate(
        search_rank=Case(*whens, default=Value(default), output_field=IntegerField())
    )


def _may_be_numbered(query: SearchQuery, user: Any, format_field: str) -> bool:
    """Whether the text can be a number of the user's tenant's format
    ``format_field`` (e.g. ``INV-{year}-{seq:05d}``, a field of the tenant's
    customer or billing settings): it starts with the format's fixed
    beginning (``INV-``). Numbers match exactly, so a text that doesn't is
    spared a query. Always true for the platform operator, whose search
    spans tenants with different formats."""
    tenant = getattr(user, "tenant", None)
    if tenant is None:
        return True
    owner = (
        customer_selectors.settings_for(tenant)
        if format_field == "account_number_format"
        else billing_selectors.settings_for(tenant)
    )
    fixed = str(getattr(owner, format_field)).split("{", 1)[0].upper()
    return query.upper.startswith(fixed)


def _who(customer: Customer) -> str:
    return f"{customer.name} · {customer.account_number}"


class AccountProvider:
    """Customers by account number or phone (B-trees, exact)."""

    key = "accounts"
    label = _("Customers")
    stage = 0
    perms: tuple[str, ...] = ("customers.view_customer",)

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``."""
        if not query.has_digit:
            return []
        conditions = []
        if _may_be_numbered(query, user, "account_number_format"):
            conditions.append(Q(account_number__in=_forms(query)))
        if query.phones:
            conditions.append(Q(phone__in=query.phones))
        if not conditions:
            return []
        by_id = functools.reduce(operator.or_, conditions)
        rows = (
            scope(Customer.objects.all(), user)
            .filter(by_id)
            .only("id", "tenant_id", "account_number", "name", "email", "phone")
            .order_by("name", "pk")[:limit]
        )
        return [_customer_hit(customer, EXACT) for customer in rows]


def _customer_hit(customer: Customer, rank: int) -> Hit:
    return Hit(
        title=customer.name,
        detail=" · ".join(
            part for part in (customer.account_number, customer.email, customer.phone) if part
        ),
        url=customer_url(customer.pk),
        rank=rank,
    )


class CustomerProvider:
    """Customers by name or email (the account number and phone: ``AccountProvider``)."""

    key = "customers"
    label = _("Customers")
    stage = 2
    perms: tuple[str, ...] = ("customers.view_customer",)

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``. Name and email fragments (trigram GIN), then,
        when they leave room, names that look alike (trigram word similarity,
        for misspellings)."""
        customers = scope(Customer.objects.all(), user).only(
            "id", "tenant_id", "account_number", "name", "email", "phone"
        )
        rows: list[Any] = []  # customers annotated with search_rank
        if query.network is not None or query.identified:
            pass  # an IP, or an identifier found exactly: no name is like it
        elif query.wants_fragments:
            exact = Q(name__iexact=query.text) | Q(email__iexact=query.text)
            prefix = Q(name__istartswith=query.text) | Q(email__istartswith=query.text)
            rows += _ranked(
                customers.filter(Q(name__icontains=query.text) | Q(email__icontains=query.text)),
                When(exact, then=Value(EXACT)),
                When(prefix, then=Value(PREFIX)),
                default=FRAGMENT,
            ).order_by("search_rank", "name", "pk")[:limit]
        elif query.text and not query.fragment_ok:
            # Too short for a fragment: the whole name or email only.
            rows += (
                customers.filter(Q(name__iexact=query.text) | Q(email__iexact=query.text))
                .annotate(search_rank=Value(EXACT))
                .order_by("name", "pk")[:limit]
            )
        if len(rows) < limit and query.looks_like_name and trigram_available():
            # Only when the plain matches leave room: per row, word
            # similarity costs far more than LIKE.
            rows += (
                customers.filter(TrigramWordSimilar(Upper("name"), Value(query.upper)))
                .exclude(pk__in=[row.pk for row in rows])
                .annotate(
                    search_rank=Value(FUZZY),
                    similarity=TrigramWordSimilarity(query.upper, Upper("name")),
                )
                .order_by("-similarity", "name", "pk")[: limit - len(rows)]
            )
        return [_customer_hit(customer, customer.search_rank) for customer in rows]


class SubscriptionProvider:
    """Subscriptions by RADIUS (PPPoE) username."""

    key = "subscriptions"
    label = _("Subscriptions")
    stage = 1
    perms: tuple[str, ...] = ("subscriptions.view_subscription",)

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``. The username itself or its beginning (a
        B-tree on ``lower(username)`` with text_pattern_ops); then, unless
        that found the username itself, usernames containing the text
        (trigram GIN)."""
        if " " in query.text or query.network is not None:  # not a username
            return []
        lowered = query.text.lower()
        # The customers are read in a second query by primary key: joined,
        # PostgreSQL planned the prefix as a scan of every subscription (it
        # cannot estimate a text_pattern_ops range and took a thousand rows).
        subscriptions = (
            scope(Subscription.objects.all(), user)
            .annotate(username_lower=Lower("username"))
            .prefetch_related(
                Prefetch("customer", Customer.objects.only("id", "name", "account_number"))
            )
            .only("id", "tenant_id", "username", "status", "customer_id")
        )
        rows = list(
            _ranked(
                # The username itself begins with it: one range of the
                # prefix index, where an OR of equality and prefix was
                # planned as a scan of every subscription.
                subscriptions.filter(username_lower__startswith=lowered),
                When(username_lower=lowered, then=Value(EXACT)),
                default=PREFIX,
            ).order_by("search_rank", "username_lower", "pk")[:limit]
        )
        found_itself = any(row.search_rank == EXACT for row in rows)
        if len(rows) < limit and query.wants_fragments and not found_itself:
            rows += (
                subscriptions.filter(username__icontains=query.text)
                .exclude(username_lower__startswith=lowered)
                .annotate(search_rank=Value(FRAGMENT))
                .order_by("username_lower", "pk")[: limit - len(rows)]
            )
        return [
            Hit(
                title=sub.username,
                detail=f"{_who(sub.customer)} · {sub.get_status_display()}",
                url=customer_url(sub.customer_id),
                rank=sub.search_rank,
            )
            for sub in rows
        ]


class AddressProvider:
    """Subscriptions by IPv4 address (allocated from a pool) or IPv6 prefix
    (framed or delegated): an address inside a subscriber's prefix finds it,
    and a network finds the subscribers inside it."""

    key = "addresses"
    label = _("IP addresses")
    stage = 0
    perms: tuple[str, ...] = ("subscriptions.view_subscription",)

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``."""
        network = query.network
        if network is None:
            return []
        text = str(network.network_address) if query.is_address else str(network)
        subscriptions = scope(Subscription.objects.all(), user)
        # Two index-served halves, joined as one query: the pool address
        # (B-tree on network_ipaddress.address) and the IPv6 prefixes (GiST).
        if query.is_address:
            by_address = Q(ip_address__address=text)
            by_prefix = Q(framed_ipv6_prefix__covers=text) | Q(delegated_ipv6_prefix__covers=text)
        else:
            by_address = Q(ip_address__address__within=text)
            by_prefix = (
                Q(framed_ipv6_prefix__within=text)
                | Q(framed_ipv6_prefix__covers=text)
                | Q(delegated_ipv6_prefix__within=text)
                | Q(delegated_ipv6_prefix__covers=text)
            )
        ids = (
            subscriptions.filter(by_address)
            .values("pk")
            .union(subscriptions.filter(by_prefix).values("pk"))
        )
        exact = Q(framed_ipv6_prefix=text) | Q(delegated_ipv6_prefix=text)
        if query.is_address:
            exact |= Q(ip_address__address=text)
        rows = _ranked(
            subscriptions.filter(pk__in=ids).select_related("customer", "ip_address"),
            When(exact, then=Value(EXACT)),
        ).order_by("search_rank", "username", "pk")[:limit]
        hits = []
        for sub in rows:
            held = [
                value
                for value in (
                    sub.ip_address.address if sub.ip_address else "",
                    sub.framed_ipv6_prefix or "",
                    sub.delegated_ipv6_prefix or "",
                )
                if value
            ]
            hits.append(
                Hit(
                    title=", ".join(held),
                    detail=f"{sub.username} · {_who(sub.customer)}",
                    url=customer_url(sub.customer_id),
                    rank=EXACT if sub.search_rank == EXACT else PREFIX,
                )
            )
        return hits


class SessionAddressProvider:
    """Subscribers online at an address: the Framed-IP-Address, Framed-IPv6-
    Prefix or Delegated-IPv6-Prefix of an open RADIUS accounting session
    (radacct without a stop time), for addresses a NAS hands out
    dynamically. An address inside a session's prefix finds it, a network
    finds the sessions inside it. Served by radacct's partial indexes on open
    sessions; rows of other tenants are left out through the username, which
    only the user's tenant's subscriptions may carry."""

    key = "sessions"
    label = _("Online at this address")
    stage = 0
    perms: tuple[str, ...] = ("radius.view_radacct", "subscriptions.view_subscription")

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``."""
        network = query.network
        if network is None:
            return []
        text = str(network.network_address) if query.is_address else str(network)
        if query.is_address and network.version == 4:
            by_address = Q(framedipaddress=text)
        elif network.version == 4:
            by_address = Q(framedipaddress__within=text)
        elif query.is_address:
            by_address = Q(framedipv6prefix__covers=text) | Q(delegatedipv6prefix__covers=text)
        else:
            by_address = (
                Q(framedipv6prefix__within=text)
                | Q(framedipv6prefix__covers=text)
                | Q(delegatedipv6prefix__within=text)
                | Q(delegatedipv6prefix__covers=text)
            )
        # Usernames are unique and indexed lower-cased: a session is the
        # user's when a subscription found through that index carries its
        # username exactly.
        owned = (
            scope(Subscription.objects.all(), user)
            .annotate(username_lower=Lower("username"))
            .filter(username_lower=Lower(OuterRef("username")), username=OuterRef("username"))
        )
        rows = list(
            RadAcct.objects.filter(by_address, acctstoptime__isnull=True)
            .filter(Exists(owned))
            .only(
                "radacctid",
                "username",
                "acctstarttime",
                "framedipaddress",
                "framedipv6prefix",
                "delegatedipv6prefix",
            )
            .order_by("username", "-acctstarttime", "-radacctid")[: limit * 2]
        )
        names = {row.username for row in rows if row.username}
        subscriptions = {
            sub.username: sub
            for sub in scope(Subscription.objects.all(), user)
            .annotate(username_lower=Lower("username"))
            .filter(username_lower__in={name.lower() for name in names}, username__in=names)
            .select_related("customer", "tenant")
        }
        hits: list[Hit] = []
        seen: set[str] = set()
        for row in rows:
            sub = subscriptions.get(row.username or "")
            if sub is None or sub.username in seen:
                continue
            seen.add(sub.username)
            held = [
                str(value)
                for value in (row.framedipaddress, row.framedipv6prefix, row.delegatedipv6prefix)
                if value
            ]
            since = gettext("online since %(time)s") % {
                "time": display.local_datetime(row.acctstarttime, sub.tenant) or "?"
            }
            # An address names who holds it now; a network, some of many.
            hits.append(
                Hit(
                    title=", ".join(held),
                    detail=f"{sub.username} · {_who(sub.customer)} · {since}",
                    url=customer_url(sub.customer_id),
                    rank=EXACT if query.is_address else PREFIX,
                )
            )
        return hits[:limit]


class InvoiceProvider:
    """Invoices by number."""

    key = "invoices"
    label = _("Invoices")
    stage = 0
    perms: tuple[str, ...] = ("billing.view_invoice",)
    model: Any = Invoice
    number_format = "invoice_number_format"

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``."""
        if not query.has_digit or " " in query.text:
            return []
        if not _may_be_numbered(query, user, self.number_format):
            return []
        rows = (
            scope(self.model.objects.all(), user)
            .filter(number__in=_forms(query))
            .annotate(tenant_country=F("tenant__country"))
            .select_related("customer")
            .order_by("number", "pk")[:limit]
        )
        return [
            Hit(
                title=row.number,
                detail=" · ".join(
                    (
                        _who(row.customer),
                        display.money(row.total, row.currency, row.tenant_country),
                        str(row.issue_date),
                    )
                ),
                url=customer_url(row.customer_id),
                rank=EXACT,
            )
            for row in rows
        ]


class CreditNoteProvider(InvoiceProvider):
    """Credit notes by number."""

    key = "credit_notes"
    label = _("Credit notes")
    perms: tuple[str, ...] = ("billing.view_creditnote",)
    model = CreditNote
    number_format = "credit_note_number_format"


class PaymentProvider:
    """Payments by their reference (bank reference, gateway id)."""

    key = "payments"
    label = _("Payments")
    stage = 0
    perms: tuple[str, ...] = ("payments.view_payment",)

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``."""
        if not query.has_digit:  # references carry a number
            return []
        rows = (
            scope(Payment.objects.all(), user)
            .filter(reference__in=_forms(query))
            .annotate(tenant_country=F("tenant__country"))
            .select_related("customer")
            .order_by("-received_on", "pk")[:limit]
        )
        return [
            Hit(
                title=payment.reference,
                detail=" · ".join(
                    (
                        _who(payment.customer),
                        display.money(payment.amount, payment.currency, payment.tenant_country),
                        str(payment.received_on),
                    )
                ),
                url=customer_url(payment.customer_id),
                rank=EXACT,
            )
            for payment in rows
        ]


class BankAccountProvider:
    """Saved bank accounts (debit order / SEPA mandates) by the whole IBAN or
    its last four or more digits; shown masked (``Bank ***3000``), never whole."""

    key = "bank_accounts"
    label = _("Bank accounts")
    stage = 0
    perms: tuple[str, ...] = ("payments.view_customerpaymentmethod",)

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """See ``Provider.find``."""
        if query.iban:
            found = Q(iban=query.iban)
        elif query.iban_digits:
            found = Q(iban__endswith=query.iban_digits)
        else:
            return []
        rows = (
            scope(CustomerPaymentMethod.objects.all(), user)
            .filter(found, kind=CustomerPaymentMethod.Kind.BANK_ACCOUNT)
            .select_related("customer")
            .order_by("customer__name", "pk")[:limit]
        )
        return [
            Hit(
                title=method.display,
                detail=" · ".join(
                    part
                    for part in (
                        _who(method.customer),
                        gettext("mandate %(ref)s") % {"ref": method.mandate_reference}
                        if method.mandate_reference
                        else "",
                    )
                    if part
                ),
                url=customer_url(method.customer_id),
                rank=EXACT if query.iban else PREFIX,
            )
            for method in rows
        ]


for _provider in (
    AccountProvider(),
    CustomerProvider(),
    SubscriptionProvider(),
    AddressProvider(),
    SessionAddressProvider(),
    InvoiceProvider(),
    CreditNoteProvider(),
    PaymentProvider(),
    BankAccountProvider(),
):
    register(_provider)
