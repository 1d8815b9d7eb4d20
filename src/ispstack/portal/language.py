"""Which language the customer portal speaks to a request.

Mails and SMS to a customer are written in the recipient's language too:
``mail_language`` (a portal user's) and ``customer_language`` (the
customer's), with no browser to ask. The apps below the portal ask it
through ``notifications.language`` (``customer_id_language``, registered in
``PortalConfig.ready``).

Only the portal is translated (``settings.PORTAL_LANGUAGES``); the staff
console stays in English, so there is no LocaleMiddleware: portal views
activate the language from ``language_for`` around their own response.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.portal.models import PortalRole, PortalUser
from ispstack.portal.selectors import branding_for


def codes() -> list[str]:
    """The codes of ``settings.PORTAL_LANGUAGES`` in order (``["en", "de"]``)."""
    return [code for code, _name in settings.PORTAL_LANGUAGES]


def _accepted(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first,
    lower case (``"de-DE,de;q=0.9,en;q=0.8"`` -> ``["de-de", "de", "en"]``);
    tags with ``q=0`` or an unreadable weight are left out."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if tag and weight > 0:
            weighted.append((-weight, index, tag.strip().lower()))
    return [tag for _w, _i, tag in sorted(weighted)]


def best_match(header: str) -> str | None:
    """The portal language a browser's Accept-Language ``header`` asks for
    first (``de-AT`` matches ``de``; ``*`` none), or None."""
    known = codes()
    for tag in _accepted(header):
        primary = tag.split("-")[0]
        if primary in known:
            return primary
    return None


def language_for(*, tenant: Tenant, chosen: str = "", accept: str = "") -> str:
    """The portal language code for a request: the user's ``chosen`` one if
    it is a portal language; else the language of the tenant's branding
    locale (``de_DE`` -> ``de``) if it is one; else the browser's ``accept``
    header's best match; else the first of ``PORTAL_LANGUAGES`` (English)."""
    known = codes()
    if chosen in known:
        return chosen
    locale = branding_for(tenant).locale or ""
    branded = locale.replace("-", "_").split("_")[0].lower()
    if branded in known:
        return branded
    return best_match(accept) or known[0]


@contextmanager
def portal_language(request: HttpRequest, tenant: Tenant, chosen: str = "") -> Iterator[str]:
    """Render the portal in ``language_for`` this request inside the block,
    and restore the language before it after (the staff console's English)."""
    code = language_for(
        tenant=tenant, chosen=chosen, accept=request.headers.get("Accept-Language", "")
    )
    with translation.override(code):
        yield code


def customer_language(customer: Customer) -> str:
    """The language of mails to ``customer``: the one its owner's portal login
    chose (the first active owner with a choice), else the tenant's
    (``language_for`` without a browser: the branding locale's, else
    English)."""
    chosen = (
        PortalUser.objects.filter(customer=customer, role=PortalRole.OWNER, is_active=True)
        .exclude(language="")
        .order_by("pk")
        .values_list("language", flat=True)
        .first()
    )
    return language_for(tenant=customer.tenant, chosen=chosen or "")


def customer_id_language(customer_id: int) -> str | None:
    """``customer_language`` of the customer with id ``customer_id``, or None
    when there is none: the resolver the portal registers with
    ``notifications.language`` for the mails of the apps below it."""
    customer = Customer.objects.select_related("tenant").filter(pk=customer_id).first()
    return customer_language(customer) if customer is not None else None


def tenant_id_language(tenant_id: int) -> str | None:
    """The language of the tenant with id ``tenant_id`` (``language_for``
    without a user or a browser: its branding locale's, else English), or
    None when there is none: the resolver of the documents the tenant
    issues, registered with ``notifications.language``."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    return language_for(tenant=tenant) if tenant is not None else None


def mail_language(user: PortalUser) -> str:
    """The language of mails and SMS to the portal user ``user``: their own
    choice, else their customer's (``customer_language``)."""
    if user.language in codes():
        return user.language
    return customer_language(user.customer)
