"""The portal API's paying, as the paying pages (``portal.views.paying``):
pay an invoice by card (3-D Secure included) with a saved card or a new
card token, report a bank transfer with its proof for a clerk's review, and
the saved payment methods (masked; make primary, remove, add a card).

Every write goes through the service the page calls (``portal.services``),
so the rules are the page's: an invoice is paid once however often the
request is repeated (the customer's row is locked through the gateway call;
a repeat finds the invoice paid, 409, or the same attempt still waiting for
the bank, 202); a refused card answers 402 naming ``method`` or ``token``;
another customer's invoice, card or method answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.billing.models import Invoice
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.payments.gateways import CardDeclined, gateway
from ispstack.payments.models import BankTransfer, CardPayment, CustomerPaymentMethod
from ispstack.payments.selectors import balance
from ispstack.portal import selectors, services
from ispstack.portal.api import serializers as s
from ispstack.portal.api.views import ID_PATTERN, InvoiceViewSet, PortalViewMixin, _id

DECLINED = OpenApiResponse(
    description="The card was refused: ``field`` names ``method`` or ``token``."
)


@dataclass(frozen=True)
class CardOutcome:
    """What ``PortalCardPaymentSerializer`` writes."""

    attempt: CardPayment
    invoice: Invoice
    balance: Decimal
    reconnected: int
    next_action: dict[str, str] | None


class PayableInvoiceViewSet(InvoiceViewSet):
    """The customer's invoices (``InvoiceViewSet``), and paying one by card."""

    @extend_schema(
        request=s.PortalPayInputSerializer,
        responses={
            200: s.PortalCardPaymentSerializer,
            202: s.PortalCardPaymentSerializer,
            402: DECLINED,
        },
    )
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: Any = None) -> Response:
        """Pay what is due with a saved card (``method``) or a new card token
        (``token``, saved as a payment method first). 200: paid; 202: the
        bank asks for 3-D Secure (``next_action``), then ``pay/confirm/``;
        402: the card was refused; 409: nothing is due. Repeating the
        request never pays twice."""
        invoice = self.get_object()
        data = self.validated(s.PortalPayInputSerializer)
        if "method" in data and data.get("token"):
            raise InvalidInput(
                "give a saved card (method) or a new card (token), not both", field="token"
            )
        return_url = ""
        if settings.STRIPE_3DS_REDIRECT:
            return_url = data.get("return_url") or request.build_absolute_uri(
                reverse(
                    "portal:pay-return",
                    kwargs={"tenant": self.portal_user.tenant.slug, "pk": invoice.pk},
                )
            )
        try:
            result = services.pay_invoice(
                user=self.portal_user,
                invoice=invoice,
                method_id=data.get("method"),
                token=data.get("token", ""),
                return_url=return_url,
            )
        except CardDeclined as exc:
            field = "token" if exc.field == "token" else "method"
            raise CardDeclined(exc.message, field=field) from None
        return self._outcome(invoice, result)

    @extend_schema(
        request=s.PortalConfirmInputSerializer,
        responses={
            200: s.PortalCardPaymentSerializer,
            202: s.PortalCardPaymentSerializer,
            402: DECLINED,
        },
    )
    @action(detail=True, methods=["post"], url_path="pay/confirm")
    def confirm(self, request: Request, pk: Any = None) -> Response:
        """The customer is back from the bank: settle the payment waiting for
        it (``payment_intent`` of this invoice's ``pay``). 200 paid, 202
        still waiting, 402 the bank refused. Confirming again pays nothing
        more."""
        invoice = self.get_object()
        intent_id = self.validated(s.PortalConfirmInputSerializer)["payment_intent"]
        mine = selectors.card_payments_of(self.customer).filter(
            invoice=invoice, intent_id=intent_id
        )
        if not mine.exists():
            raise NotFound("no such payment of this invoice", field="payment_intent")
        result = services.finish_payment(user=self.portal_user, intent_id=intent_id)
        return self._outcome(invoice, result)

    def _outcome(self, invoice: Invoice, result: services.PayResult) -> Response:
        """The attempt as the page answers it: a failed one 402, a canceled
        one 409 (written as errors, the attempt kept on record), a waiting
        one 202 with what the bank asks for, a paid one 200."""
        attempt = result.attempt
        if attempt.status == CardPayment.Status.FAILED:
            declined = CardDeclined(
                attempt.error or "the bank did not confirm the payment", field="method"
            )
            return Response(declined.as_dict(), status=declined.status_code)
        if attempt.status == CardPayment.Status.CANCELED:
            canceled = Conflict("the payment was canceled", field="payment_intent")
            return Response(canceled.as_dict(), status=canceled.status_code)
        next_action = None
        code: int = status.HTTP_200_OK
        if attempt.status == CardPayment.Status.REQUIRES_ACTION:
            intent = gateway().retrieve_intent(attempt.intent_id)
            next_action = {
                "type": "redirect_to_url" if intent.redirect_url else "use_stripe_sdk",
                "client_secret": intent.client_secret,
                "redirect_url": intent.redirect_url,
            }
            code = status.HTTP_202_ACCEPTED
        outcome = CardOutcome(
            attempt=attempt,
            invoice=selectors.invoices_of(self.customer).get(pk=invoice.pk),
            balance=balance(self.customer),
            reconnected=result.reconnected,
            next_action=next_action,
        )
        return Response(s.PortalCardPaymentSerializer(outcome).data, status=code)


class TransferViewSet(PortalViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Bank transfers the customer reported (newest first, with their review
    state), and reporting one with its proof (multipart) for a clerk to
    review; the payment is recorded when the clerk approves it."""

    queryset = BankTransfer.objects.none()
    serializer_class = s.PortalTransferSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> QuerySet[BankTransfer]:
        if getattr(self, "swagger_fake_view", False):
            return BankTransfer.objects.none()
        return selectors.transfers_of(self.customer)

    @extend_schema(
        request={"multipart/form-data": s.PortalTransferInputSerializer},
        responses={201: s.PortalTransferSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.validated(s.PortalTransferInputSerializer)
        transfer = services.report_transfer(user=self.portal_user, **data)
        return Response(s.PortalTransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


class PaymentMethodViewSet(PortalViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The customer's saved payment methods, masked, primary first: add a
    card (a gateway token), make one primary, remove one (``DELETE``; kept
    on record for the payments that used it)."""

    queryset = CustomerPaymentMethod.objects.none()
    serializer_class = s.PortalPaymentMethodSerializer
    pagination_class = None
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[CustomerPaymentMethod]:
        if getattr(self, "swagger_fake_view", False):
            return CustomerPaymentMethod.objects.none()
        return selectors.methods_of(self.customer)

    @extend_schema(
        request=s.PortalNewCardSerializer,
        responses={201: s.PortalPaymentMethodSerializer, 402: DECLINED},
    )
    def create(self, request: Request) -> Response:
        token = self.validated(s.PortalNewCardSerializer)["token"]
        try:
            card = services.add_card(user=self.portal_user, token=token)
        except CardDeclined as exc:
            raise CardDeclined(exc.message, field="token") from None
        return Response(s.PortalPaymentMethodSerializer(card).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PortalPaymentMethodSerializer})
    @action(detail=True, methods=["post"])
    def primary(self, request: Request, pk: Any = None) -> Response:
        """Make this method the one automatic payments use."""
        method = services.make_primary(user=self.portal_user, method_id=_id(pk))
        return Response(s.PortalPaymentMethodSerializer(method).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.remove_method(user=self.portal_user, method_id=_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
