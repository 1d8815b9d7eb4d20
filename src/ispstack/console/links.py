"""Links between console pages that more than one area builds."""

from __future__ import annotations

import functools
from typing import Any

from django.urls import reverse


@functools.cache
def _customer_path() -> str:
    # Reversed once: lists and search build hundreds of these per page.
    return reverse("console:customer", args=[0]).replace("/0/", "/{id}/")


def customer_url(customer_id: Any) -> str:
    """The customer 360 page of ``customer_id`` (``console:customer``)."""
    return _customer_path().format(id=int(customer_id))
