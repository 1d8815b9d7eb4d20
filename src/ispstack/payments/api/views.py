"""API of the payments app: payments, refunds, payment methods, bank transfers,
bank statements, SEPA direct debit, the Stripe webhook, and the payment
actions on other apps' resources (customer statements, charging an invoice)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ispstack.billing.api.views import InvoiceViewSet
from ispstack.core import clock, inputs
from ispstack.core.api.base import TenantViewSet, date_param, pdf_response
from ispstack.core.api.parsers import BoundedJSONParser
from ispstack.core.errors import InvalidInput
from ispstack.customers.api.views import CustomerViewSet
from ispstack.payments import cards, direct_debit, methods, statements, transfers
from ispstack.payments import services as payments
from ispstack.payments.api.serializers import (
    BankStatementInputSerializer,
    BankStatementSerializer,
    BankTransferInputSerializer,
    BankTransferSerializer,
    CardRefundInputSerializer,
    DirectDebitBatchInputSerializer,
    DirectDebitBatchSerializer,
    MatchInputSerializer,
    PaymentInputSerializer,
    PaymentMethodInputSerializer,
    PaymentMethodSerializer,
    PaymentSerializer,
    RefundInputSerializer,
    RefundSerializer,
    RejectionInputSerializer,
    ReturnsInputSerializer,
    StatementLineSerializer,
    StatementSerializer,
)
from ispstack.payments.documents import statement_pdf
from ispstack.payments.models import (
    BankStatement,
    BankTransfer,
    CustomerPaymentMethod,
    DirectDebitBatch,
    Payment,
    Refund,
    StatementLine,
)
from ispstack.payments.selectors import statement

# A statement lists the customer's invoices, credit notes and payments.
STATEMENT_PERMS = ("customers.view_customer", "billing.view_invoice", "payments.view_payment")
CARD_DECLINED = OpenApiResponse(description="The card gateway declined (code card_declined).")


class CustomerStatementViewSet(TenantViewSet):
    """The account statement on ``customers/{id}/`` (the customer itself is
    served by the customers API)."""

    queryset = CustomerViewSet.queryset
    serializer_class = CustomerViewSet.serializer_class
    required_perms = {
        "statement": STATEMENT_PERMS,
        "statement_pdf": STATEMENT_PERMS,
    }
    filterset_fields = CustomerViewSet.filterset_fields

    def _statement(self, request: Request) -> Any:
        customer = self.get_object()
        end = date_param(request, "end", clock.today(customer.tenant))
        start = date_param(request, "start", end.replace(day=1))
        inputs.check_date(end, "end")
        inputs.check_date(start, "start")
        if start > end:
            raise InvalidInput("must not be after end", field="start")
        return statement(customer, start, end)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=StatementSerializer,
    )
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: Any = None) -> Response:
        """Opening balance, documents with running balance, closing balance."""
        result = self._statement(request)
        return Response(
            StatementSerializer(
                {
                    "start": result.start,
                    "end": result.end,
                    "currency": result.currency,
                    "opening_balance": result.opening_balance,
                    "closing_balance": result.closing_balance,
                    "entries": result.entries,
                }
            ).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")
        },
    )
    @action(detail=True, methods=["get"], url_path="statement/pdf")
    def statement_pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        """The statement as PDF."""
        result = self._statement(request)
        return pdf_response(
            statement_pdf(result), f"statement-{result.customer.account_number}-{result.end}.pdf"
        )


class InvoicePaymentViewSet(TenantViewSet):
    """Card payment of ``invoices/{id}/`` (the invoice itself is served by the
    billing API)."""

    queryset = InvoiceViewSet.queryset
    serializer_class = InvoiceViewSet.serializer_class
    required_perms = {
        "charge_card": ("billing.view_invoice", "payments.add_payment"),
    }
    filterset_fields = InvoiceViewSet.filterset_fields

    @extend_schema(request=None, responses={201: PaymentSerializer, 402: CARD_DECLINED})
    @action(detail=True, methods=["post"], url_path="charge-card")
    def charge_card(self, request: Request, pk: Any = None) -> Response:
        """Charge what is due to the customer's primary saved card."""
        payment = cards.charge_invoice(invoice=self.get_object(), actor=request.user)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Payments, allocated to the oldest open invoices when recorded."""

    queryset = Payment.objects.select_related("customer").prefetch_related("allocations__invoice")
    serializer_class = PaymentSerializer
    required_perms = {
        "list": ("payments.view_payment",),
        "retrieve": ("payments.view_payment",),
        "create": ("payments.add_payment",),
        "refund_to_card": ("payments.view_payment", "payments.add_refund"),
    }
    filterset_fields = ["customer", "method", "reference"]

    @extend_schema(request=PaymentInputSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request) -> Response:
        payment = payments.record_payment(
            tenant=self.tenant, actor=request.user, **self.validated(PaymentInputSerializer)
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CardRefundInputSerializer, responses={201: RefundSerializer, 402: CARD_DECLINED}
    )
    @action(detail=True, methods=["post"], url_path="refund-to-card")
    def refund_to_card(self, request: Request, pk: Any = None) -> Response:
        """Refund unused credit of a card payment back to the card."""
        refund = cards.refund_card_payment(
            payment=self.get_object(),
            actor=request.user,
            **self.validated(CardRefundInputSerializer),
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Refunds of customer credit."""

    queryset = Refund.objects.all()
    serializer_class = RefundSerializer
    required_perms = {
        "list": ("payments.view_refund",),
        "retrieve": ("payments.view_refund",),
        "create": ("payments.add_refund",),
    }
    filterset_fields = ["customer", "method"]

    @extend_schema(request=RefundInputSerializer, responses={201: RefundSerializer})
    def create(self, request: Request) -> Response:
        refund = payments.record_refund(
            tenant=self.tenant, actor=request.user, **self.validated(RefundInputSerializer)
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class PaymentMethodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Saved cards (tokens only) and bank accounts with mandates, shown masked."""

    queryset = CustomerPaymentMethod.objects.all()
    serializer_class = PaymentMethodSerializer
    required_perms = {
        "list": ("payments.view_customerpaymentmethod",),
        "retrieve": ("payments.view_customerpaymentmethod",),
        "create": ("payments.add_customerpaymentmethod",),
    }
    filterset_fields = ["customer", "kind"]

    @extend_schema(request=PaymentMethodInputSerializer, responses={201: PaymentMethodSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(PaymentMethodInputSerializer)
        customer, kind, primary = data.pop("customer"), data.pop("kind"), data.pop("primary")
        if kind == CustomerPaymentMethod.Kind.CARD and not data.get("last4"):
            method = cards.save_card(
                customer=customer, token=data.get("token", ""), primary=primary, actor=request.user
            )
        elif kind == CustomerPaymentMethod.Kind.CARD:
            method = methods.add_card(
                customer=customer,
                primary=primary,
                actor=request.user,
                token=data.get("token", ""),
                brand=data.get("brand", ""),
                last4=data.get("last4", ""),
                exp_month=data.get("exp_month", 0),
                exp_year=data.get("exp_year", 0),
            )
        else:
            method = methods.add_bank_account(
                customer=customer,
                primary=primary,
                actor=request.user,
                iban=data.get("iban", ""),
                holder_name=data.get("holder_name", ""),
                mandate_reference=data.get("mandate_reference", ""),
                mandate_signed_on=data.get("mandate_signed_on"),
            )
        return Response(PaymentMethodSerializer(method).data, status=status.HTTP_201_CREATED)


class BankTransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Reported bank transfers: submit with proof, then approve or reject."""

    queryset = BankTransfer.objects.all()
    serializer_class = BankTransferSerializer
    required_perms = {
        "list": ("payments.view_banktransfer",),
        "retrieve": ("payments.view_banktransfer",),
        "create": ("payments.add_banktransfer",),
        "approve": ("payments.change_banktransfer",),
        "reject": ("payments.change_banktransfer",),
    }
    filterset_fields = ["customer", "status"]
    # The proof comes as a multipart upload; the review actions take JSON.
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    @extend_schema(request=BankTransferInputSerializer, responses={201: BankTransferSerializer})
    def create(self, request: Request) -> Response:
        transfer = transfers.submit_transfer(
            actor=request.user, **self.validated(BankTransferInputSerializer)
        )
        return Response(self.get_serializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BankTransferSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        transfer = transfers.approve_transfer(transfer=self.get_object(), actor=request.user)
        return Response(self.get_serializer(transfer).data)

    @extend_schema(request=RejectionInputSerializer, responses=BankTransferSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        transfer = transfers.reject_transfer(
            transfer=self.get_object(),
            actor=request.user,
            **self.validated(RejectionInputSerializer),
        )
        return Response(self.get_serializer(transfer).data)


class BankStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Imported bank statements; POST a camt.053, MT940 or OFX file to import one."""

    queryset = BankStatement.objects.all()
    serializer_class = BankStatementSerializer
    required_perms = {
        "list": ("payments.view_bankstatement",),
        "retrieve": ("payments.view_bankstatement",),
        "create": ("payments.add_bankstatement",),
    }
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=BankStatementInputSerializer, responses={201: BankStatementSerializer})
    def create(self, request: Request) -> Response:
        params = self.validated(BankStatementInputSerializer)
        upload = params["file"]
        statement = statements.import_statement(
            tenant=self.tenant,
            data=upload.read(),
            filename=upload.name,
            format=params.get("format"),
            actor=request.user,
        )
        return Response(BankStatementSerializer(statement).data, status=status.HTTP_201_CREATED)


class StatementLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Statement lines; ``?status=unmatched`` is the queue to match by hand."""

    queryset = StatementLine.objects.all()
    serializer_class = StatementLineSerializer
    required_perms = {
        "list": ("payments.view_statementline",),
        "retrieve": ("payments.view_statementline",),
        "match": ("payments.change_statementline",),
    }
    filterset_fields = ["status", "statement", "customer"]

    @extend_schema(request=MatchInputSerializer, responses=StatementLineSerializer)
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: Any = None) -> Response:
        line = statements.match_line(
            line=self.get_object(), actor=request.user, **self.validated(MatchInputSerializer)
        )
        return Response(StatementLineSerializer(line).data)


class DirectDebitBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """SEPA direct debit batches (pain.008); POST creates one, ``xml`` downloads it."""

    queryset = DirectDebitBatch.objects.all()
    serializer_class = DirectDebitBatchSerializer
    required_perms = {
        "list": ("payments.view_directdebitbatch",),
        "retrieve": ("payments.view_directdebitbatch",),
        "create": ("payments.add_directdebitbatch",),
        "xml": ("payments.view_directdebitbatch",),
        "settle": ("payments.change_directdebitbatch",),
        "returns": ("payments.change_directdebitbatch",),
    }

    @extend_schema(
        request=DirectDebitBatchInputSerializer, responses={201: DirectDebitBatchSerializer}
    )
    def create(self, request: Request) -> Response:
        batch = direct_debit.create_batch(
            tenant=self.tenant,
            actor=request.user,
            **self.validated(DirectDebitBatchInputSerializer),
        )
        return Response(DirectDebitBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="pain.008")
        }
    )
    @action(detail=True, methods=["get"])
    def xml(self, request: Request, pk: Any = None) -> HttpResponse:
        batch = self.get_object()
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="pain008-{batch.pk}.xml"'
        return response

    @extend_schema(request=None, responses=DirectDebitBatchSerializer)
    @action(detail=True, methods=["post"])
    def settle(self, request: Request, pk: Any = None) -> Response:
        batch = direct_debit.settle_batch(batch=self.get_object(), actor=request.user)
        return Response(DirectDebitBatchSerializer(batch).data)

    @extend_schema(
        request=ReturnsInputSerializer,
        responses=inline_serializer(
            "DirectDebitReturn",
            fields={
                "end_to_end_id": serializers.CharField(),
                "reason": serializers.CharField(help_text="The ISO 20022 reason code."),
            },
            many=True,
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    def returns(self, request: Request) -> Response:
        """Import the bank's pain.002 / camt.054 returns."""
        upload = self.validated(ReturnsInputSerializer)["file"]
        items = direct_debit.import_returns(
            tenant=self.tenant, actor=request.user, data=upload.read()
        )
        return Response(
            [{"end_to_end_id": i.end_to_end_id, "reason": i.return_reason} for i in items]
        )


class StripeWebhookView(APIView):
    """Stripe webhooks: the signature is the authentication (STRIPE_WEBHOOK_SECRET)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(description="handled: {received: the event type}"),
            400: OpenApiResponse(description="bad signature or body: {code, field, detail}"),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            body = request.body
        except RequestDataTooBig:
            raise InvalidInput(
                f"the body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes",
                field="body",
            ) from None
        kind = cards.handle_webhook(body, request.headers.get("Stripe-Signature", ""))
        return Response({"received": kind})
