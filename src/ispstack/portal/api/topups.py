"""Top-ups in the portal API: the offers a customer may buy for a capped
service with their price and tax, the service's top-ups, and buying one
(``usage.caps.buy_offer``: the volume counts at once, the price is a charge
on the next invoice). Routes:

- ``GET subscriptions/{id}/topup-offers/``: the offers (empty without a cap);
- ``GET subscriptions/{id}/topups/``: the top-ups bought, newest first (pages);
- ``POST subscriptions/{id}/topups/`` ``{"offer": id}``: buy one (201). With an
  ``Idempotency-Key`` header (up to 64 printable ASCII characters) the same
  key again answers the first top-up (200, ``Idempotent-Replayed: true``)
  and buys nothing; the key with another offer answers 422.

Another customer's or tenant's service answers 404, a terminated one 404
too (nothing to top up), a plan without a data cap 409, an offer that is
not this service's 400 naming ``offer``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.fields import Input
from ispstack.core.api.idempotency import HEADER, Unprocessable, request_key
from ispstack.core.errors import InvalidInput
from ispstack.portal.api.serializers import MoneyField, PortalMoneySerializer, money
from ispstack.portal.api.views import PortalViewMixin, _id
from ispstack.portal.topups import TopUpOption, open_service, topup_page
from ispstack.subscriptions.models import Subscription
from ispstack.usage import caps
from ispstack.usage.models import TopUp
from ispstack.usage.selectors import topups_of

KEY_MAX_LENGTH: int = TopUp._meta.get_field("request_key").max_length or 0


class PortalTopUpOfferSerializer(serializers.Serializer):
    """An offer with its price for this customer, as the next invoice will
    carry it: before tax, tax at ``tax_rate`` percent, total; bytes added to
    the cycle, and the cycle's allowance once bought."""

    id = serializers.IntegerField(source="offer.pk")
    name = serializers.CharField(source="offer.name")
    extra_bytes = serializers.IntegerField(source="offer.extra_bytes")
    price_before_tax = MoneyField("quote.net", "quote.currency")
    tax = MoneyField("quote.tax", "quote.currency")
    total = MoneyField("quote.total", "quote.currency")
    tax_rate = serializers.DecimalField(
        source="quote.tax_rate", max_digits=6, decimal_places=3, help_text="Percent."
    )
    allowance_after_bytes = serializers.IntegerField(
        source="allowance_after", help_text="The cycle's data once bought, in bytes."
    )


class PortalTopUpSerializer(serializers.Serializer):
    """A top-up of the service: bytes added to the cycle starting
    ``cycle_start`` (tenant-local date), the offer it was bought from (null:
    added by the provider), and the price charged on an invoice before tax
    (null: free)."""

    id = serializers.IntegerField()
    subscription = serializers.IntegerField(source="subscription_id")
    cycle_start = serializers.DateField()
    extra_bytes = serializers.IntegerField()
    offer = serializers.IntegerField(source="offer_id", allow_null=True)
    name = serializers.CharField(source="offer.name", allow_null=True, default=None)
    price_before_tax = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(PortalMoneySerializer(allow_null=True))
    def get_price_before_tax(self, topup: TopUp) -> dict[str, str] | None:
        if topup.charge is None:
            return None
        return money(topup.charge.amount, topup.subscription.customer.currency)


class PortalTopUpInputSerializer(Input):
    """Input of ``POST subscriptions/{id}/topups/``."""

    offer = serializers.IntegerField(
        min_value=1, max_value=caps.BIGINT_MAX, help_text="An id from the topup-offers list."
    )


class _ServiceTopUps(PortalViewMixin, generics.GenericAPIView):
    """A route on one of the customer's services (``{id}``)."""

    queryset = TopUp.objects.none()
    serializer_class = PortalTopUpSerializer

    def service(self, pk: Any) -> Subscription:
        found = open_service(self.customer, _id(pk))
        if found is None:
            raise Http404("No such service.")
        return found


class TopUpOffersView(_ServiceTopUps):
    """The top-ups the customer may buy for the service, smallest first."""

    serializer_class = PortalTopUpOfferSerializer  # type: ignore[assignment]
    pagination_class = None

    @extend_schema(responses={200: PortalTopUpOfferSerializer(many=True)})
    def get(self, request: Request, pk: Any) -> Response:
        page = topup_page(self.customer, self.service(pk).pk, self.today)
        options: list[TopUpOption] = page.options if page is not None else []
        return Response(PortalTopUpOfferSerializer(options, many=True).data)


class TopUpsView(_ServiceTopUps):
    """The service's top-ups (newest first), and buying one."""

    @extend_schema(responses={200: PortalTopUpSerializer(many=True)})
    def get(self, request: Request, pk: Any) -> Response:
        sub = self.service(pk)
        rows = self.paginate_queryset(topups_of(sub).select_related("subscription__customer"))
        data = PortalTopUpSerializer(rows, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=PortalTopUpInputSerializer,
        parameters=[
            OpenApiParameter(
                HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="One purchase's key: sent again, it buys nothing twice.",
            )
        ],
        responses={201: PortalTopUpSerializer, 200: PortalTopUpSerializer},
    )
    def post(self, request: Request, pk: Any) -> Response:
        sub = self.service(pk)
        params = PortalTopUpInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        key = request_key(request, max_length=KEY_MAX_LENGTH) or ""
        try:
            topup, bought = caps.buy_offer(
                subscription=sub,
                offer=params.validated_data["offer"],
                today=self.today,
                request_key=key,
                actor=f"portal:{self.portal_user.email}",
            )
        except InvalidInput as exc:
            if exc.field == "request_key":
                raise Unprocessable(exc.message, field=HEADER) from exc
            raise
        topup = topups_of(sub).select_related("subscription__customer").get(pk=topup.pk)
        body = PortalTopUpSerializer(topup).data
        if bought:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
