"""Links between console pages that more than one area builds."""

from __future__ import annotations

import functools
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse


@functools.cache
def _customer_path() -> str:
    # Reversed once: lists and search build hundreds of these per page.
    return reverse("console:customer", args=[0]).replace("/0/", "/{id}/")


def customer_url(customer_id: Any) -> str:
    """The customer 360 page of ``customer_id`` (``console:customer``)."""
    return _customer_path().format(id=int(customer_id))


@functools.cache
def _customer_action_path() -> str:
    return (
        reverse("console:customer-action", args=[0, "action"])
        .replace("/0/", "/{id}/")
        .replace("/action/", "/{action}/")
    )


def customer_action_url(customer_id: Any, action: str) -> str:
    """The form of the Customer 360's ``action`` (a slug: ``suspend``,
    ``record-payment``) for ``customer_id`` (``console:customer-action``);
    the page links up to nine of them."""
    return _customer_action_path().format(id=int(customer_id), action=action)


# Bounded by the URL names templates pass (constants) times the script
# prefixes and URL confs a process serves (one or two).
_FIXED: dict[tuple[str, str, Any], str] = {}


def fixed_url(name: str) -> str:
    """``reverse(name)`` for a URL without arguments, reversed once per script
    prefix and URL conf: Django's ``reverse`` costs about 50 µs and the
    console's layout asks five on every page, for the same answers."""
    key = (name, get_script_prefix(), get_urlconf())
    url = _FIXED.get(key)
    if url is None:
        url = _FIXED[key] = reverse(name)
    return url
