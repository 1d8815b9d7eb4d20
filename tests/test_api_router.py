"""The root router: a higher floor's actions on a lower floor's resource keep
the resource's URL names, and a clash of names is refused, not shadowed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, resolve, reverse
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.routers import Router
from ispstack.customers.models import Customer


class Resource(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Customer.objects.all()


class Extension(viewsets.GenericViewSet):
    queryset = Customer.objects.all()

    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: Any = None) -> Response:
        return Response({})


class SameActionAgain(Extension):
    pass


def test_extension_routes_keep_the_resource_basename() -> None:
    router = Router()
    router.register("customers", Resource, basename="customer")
    router.register("customers", Extension, basename="customer")
    names = {url.name for url in router.urls if isinstance(url, URLPattern)}
    assert {"customer-list", "customer-detail", "customer-statement"} <= names


def test_a_url_name_generated_twice_is_refused() -> None:
    router = Router()
    router.register("customers", Resource, basename="customer")
    router.register("customers", Extension, basename="customer")
    router.register("customers", SameActionAgain, basename="customer")
    with pytest.raises(ImproperlyConfigured, match=r"customer-statement"):
        router.get_urls()


def test_a_basename_on_another_prefix_is_refused() -> None:
    router = Router()
    router.register("customers", Resource, basename="customer")
    with pytest.raises(ImproperlyConfigured, match=r"registered on \"customers\""):
        router.register("clients", Extension, basename="customer")


@pytest.mark.parametrize(
    ("name", "view"),
    [
        ("customer-detail", "CustomerViewSet"),
        ("customer-statement", "CustomerStatementViewSet"),
        ("invoice-charge-card", "InvoicePaymentViewSet"),
        ("subscription-detail", "SubscriptionViewSet"),
        ("subscription-change-plan", "SubscriptionBillingViewSet"),
        ("subscription-radius-reply", "SubscriptionRadiusViewSet"),
        ("subscription-usage", "SubscriptionUsageViewSet"),
    ],
)
def test_the_api_serves_each_action_from_its_floor(name: str, view: str) -> None:
    match = resolve(reverse(name, kwargs={"pk": 1}))
    assert match.func.cls.__name__ == view  # type: ignore[attr-defined]
