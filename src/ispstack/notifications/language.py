"""The language of a message to a customer.

Mails and SMS to a customer are written in the customer's language, but the
apps that send them (billing, payments, collections, usage, tickets,
provisioning) sit below the app that knows it (the portal: a portal user's
choice, else the tenant's branding locale). The portal registers a resolver
here when it starts (``register_resolver``); a sender renders the subject
and body of a message inside ``in_language_of(customer_id)``.

Without a resolver (the portal not installed) or without an answer, the
message keeps the language active when it is rendered. Documents a tenant
issues (invoice PDFs) are rendered ``in_tenant_language``, through a
resolver of the tenant's language the portal registers too. Messages to staff
(alerts to team leads) are rendered ``in_staff_language``: English, like
the staff console, whatever request or job queued them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

#: A function from a customer's id to its language code (``"de"``), or None
#: when it cannot tell (no such customer).
Resolver = Callable[[int], str | None]

_resolvers: list[Resolver] = []
_tenant_resolvers: list[Resolver] = []


def register_resolver(resolver: Resolver) -> None:
    """Add ``resolver`` to those asked for a customer's language, in the
    order registered (the first answer wins); registering the same function
    again (a second ``AppConfig.ready``) does nothing."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def customer_language(customer_id: int | None) -> str | None:
    """The language code the first resolver gives for ``customer_id``, or
    None (no customer, no resolver, or no resolver knows it)."""
    if customer_id is None:
        return None
    for resolver in _resolvers:
        code = resolver(customer_id)
        if code:
            return code
    return None


@contextmanager
def in_language_of(customer_id: int | None) -> Iterator[str]:
    """Translate (gettext, templates, number formats) in the customer's
    language inside the block: ``customer_language``, else the language
    active before it (``settings.LANGUAGE_CODE`` when none is). The language
    before is restored after the block, so the next message of a job (to
    another customer) starts from it again. Yields the code used."""
    code = customer_language(customer_id) or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(code):
        yield code


def register_tenant_resolver(resolver: Resolver) -> None:
    """Add ``resolver`` (a tenant's id to its language code) to those asked
    for the language a tenant issues its documents in; as
    ``register_resolver``."""
    if resolver not in _tenant_resolvers:
        _tenant_resolvers.append(resolver)


@contextmanager
def in_tenant_language(tenant_id: int) -> Iterator[str]:
    """Translate inside the block in the language the tenant issues its
    documents in (invoices, credit notes: legal documents, the same for
    every customer), else ``settings.LANGUAGE_CODE``. Yields the code used."""
    code = next(
        (found for resolver in _tenant_resolvers if (found := resolver(tenant_id))),
        settings.LANGUAGE_CODE,
    )
    with translation.override(code):
        yield code


@contextmanager
def in_staff_language() -> Iterator[str]:
    """Translate in ``settings.LANGUAGE_CODE`` inside the block: alerts to
    staff read like the staff console (English), even when a job runs inside
    a customer's German portal request. Yields the code used."""
    with translation.override(settings.LANGUAGE_CODE):
        yield settings.LANGUAGE_CODE
