"""API v1 endpoints: customers, plans, subscriptions, invoices, payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ispstack.api.base import TenantViewSet
from ispstack.api.serializers import (
    AccessSerializer,
    AddOnSerializer,
    AttachAddOnSerializer,
    AuthAttemptSerializer,
    BankStatementSerializer,
    BankStatementUploadSerializer,
    BankTransferCreateSerializer,
    BankTransferSerializer,
    BillingDaySerializer,
    BillingRunCreateSerializer,
    BillingRunSerializer,
    BundleSerializer,
    ChangePlanSerializer,
    ChargeCreateSerializer,
    ChargeSerializer,
    CreditNoteCreateSerializer,
    CreditNoteSerializer,
    CustomerSerializer,
    DirectDebitBatchCreateSerializer,
    DirectDebitBatchSerializer,
    DunningCampaignCreateSerializer,
    DunningCampaignSerializer,
    DunningExecutionSerializer,
    GrantPromotionSerializer,
    InvoiceSerializer,
    MatchSerializer,
    PaymentCreateSerializer,
    PaymentMethodCreateSerializer,
    PaymentMethodSerializer,
    PaymentSerializer,
    PlanChangeSerializer,
    PlanSerializer,
    PromiseSerializer,
    PromotionSerializer,
    RadiusReplySerializer,
    ReasonSerializer,
    RefundAmountSerializer,
    RefundCreateSerializer,
    RefundSerializer,
    ReturnsUploadSerializer,
    SessionSerializer,
    StatementLineSerializer,
    StatementSerializer,
    SubscriptionAddOnSerializer,
    SubscriptionPromotionSerializer,
    SubscriptionSerializer,
    SuspendSerializer,
    TaxRateSerializer,
    TopUpCreateSerializer,
    TopUpSerializer,
    TransitionSerializer,
    UsageSerializer,
)
from ispstack.billing import services as billing
from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.documents import document_pdf
from ispstack.billing.models import BillingRun, Charge, CreditNote, Invoice
from ispstack.billing.proration import add_charge
from ispstack.catalog import services as catalog
from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate
from ispstack.collections import dunning
from ispstack.collections.models import DunningCampaign, DunningExecution
from ispstack.core import clock, outbox
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.customers import services as customers
from ispstack.customers.models import Customer
from ispstack.payments import cards, direct_debit, methods, statements, transfers
from ispstack.payments import services as payments
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
from ispstack.radius import selectors as radius_selectors
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.access import change_access
from ispstack.subscriptions.models import Subscription
from ispstack.usage import caps
from ispstack.usage import selectors as usage_selectors


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _date_param(request: Request, name: str, default: dt.date) -> dt.date:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date (YYYY-MM-DD)", field=name) from None


def _input(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The allowed fields of a JSON object body (a list body is refused)."""
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "items"):
        raise InvalidInput("the body must be a JSON object", field=None)
    return {k: v for k, v in data.items() if k in allowed}


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscriber accounts."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_fields = ["status", "account_number", "email"]
    FIELDS = {
        "name",
        "email",
        "phone",
        "currency",
        "status",
        "service_latitude",
        "service_longitude",
        "tax_exempt",
        "tags",
        *customers.ADDRESS_FIELDS,
    }

    def create(self, request: Request) -> Response:
        customer = customers.create_customer(
            tenant=self.tenant, actor=request.user, **_input(request, self.FIELDS)
        )
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        customer = customers.update_customer(
            customer=self.get_object(), actor=request.user, **_input(request, self.FIELDS)
        )
        return Response(CustomerSerializer(customer).data)

    def _statement(self, request: Request) -> Any:
        customer = self.get_object()
        end = _date_param(request, "end", clock.today(customer.tenant))
        start = _date_param(request, "start", end.replace(day=1))
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
        responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")},
    )
    @action(detail=True, methods=["get"], url_path="statement/pdf")
    def statement_pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        """The statement as PDF."""
        result = self._statement(request)
        return _pdf_response(
            statement_pdf(result), f"statement-{result.customer.account_number}-{result.end}.pdf"
        )


class TaxRateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tax rates in percent."""

    queryset = TaxRate.objects.all()
    serializer_class = TaxRateSerializer

    def create(self, request: Request) -> Response:
        data = _input(request, {"name", "rate"})
        tax = catalog.create_tax_rate(
            tenant=self.tenant,
            name=data.get("name", ""),
            rate=data.get("rate"),
            actor=request.user,
        )
        return Response(TaxRateSerializer(tax).data, status=status.HTTP_201_CREATED)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Internet plans."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    filterset_fields = ["is_active", "code"]

    def create(self, request: Request) -> Response:
        plan = catalog.create_plan(
            tenant=self.tenant, actor=request.user, **_input(request, catalog.PLAN_FIELDS)
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        plan = catalog.update_plan(
            plan=self.get_object(), actor=request.user, **_input(request, catalog.PLAN_FIELDS)
        )
        return Response(PlanSerializer(plan).data)


class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscriptions and their lifecycle: activate, suspend, reconnect, terminate."""

    queryset = Subscription.objects.select_related("ip_address")
    serializer_class = SubscriptionSerializer
    filterset_fields = ["status", "customer", "plan", "username"]
    FIELDS = set(subscriptions.SIGNUP_FIELDS)

    def create(self, request: Request) -> Response:
        sub = subscriptions.create_subscription(
            tenant=self.tenant, actor=request.user, **_input(request, self.FIELDS)
        )
        return Response(SubscriptionSerializer(sub).data, status=status.HTTP_201_CREATED)

    def _transition(self, request: Request, name: str, serializer: Any) -> Response:
        params = serializer(data=request.data)
        params.is_valid(raise_exception=True)
        kwargs = {k: v for k, v in params.validated_data.items() if v not in (None, "")}
        sub = getattr(subscriptions, name)(
            subscription=self.get_object(), actor=request.user, **kwargs
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "activate", TransitionSerializer)

    @extend_schema(request=SuspendSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "suspend", SuspendSerializer)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def reconnect(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "reconnect", TransitionSerializer)

    @extend_schema(
        request=ChangePlanSerializer,
        responses={200: SubscriptionSerializer, 202: PlanChangeSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-plan")
    def change_plan(self, request: Request, pk: Any = None) -> Response:
        """Change the plan now (prorated), at the next cycle, or on a date."""
        params = ChangePlanSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        result = billing.change_plan(
            subscription=self.get_object(), actor=request.user, **params.validated_data
        )
        if isinstance(result, Subscription):
            return Response(SubscriptionSerializer(result).data)
        return Response(PlanChangeSerializer(result).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=BillingDaySerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"], url_path="billing-day")
    def billing_day(self, request: Request, pk: Any = None) -> Response:
        """Change the billing day; the bridge period is billed prorated."""
        params = BillingDaySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        sub = subscriptions.change_billing_day(
            subscription=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=ChargeCreateSerializer, responses={201: ChargeSerializer})
    @action(detail=True, methods=["post"])
    def charges(self, request: Request, pk: Any = None) -> Response:
        """Queue a one-time charge (installation, router...) for the next invoice."""
        params = ChargeCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        charge = add_charge(subscription=self.get_object(), **params.validated_data)
        return Response(ChargeSerializer(charge).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TopUpCreateSerializer, responses={201: TopUpSerializer})
    @action(detail=True, methods=["post"])
    def topups(self, request: Request, pk: Any = None) -> Response:
        """Buy extra volume for the current cycle; lifts a fair-use throttle at once."""
        params = TopUpCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        sub = self.get_object()
        topup = caps.buy_topup(
            subscription=sub,
            actor=request.user,
            today=clock.today(sub.tenant),
            **params.validated_data,
        )
        return Response(TopUpSerializer(topup).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AccessSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def access(self, request: Request, pk: Any = None) -> Response:
        """Set the NAS and IPv6 prefixes; the open session is disconnected to take them."""
        params = AccessSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        sub = change_access(
            subscription=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(responses=RadiusReplySerializer)
    @action(detail=True, methods=["get"], url_path="radius-reply")
    def radius_reply(self, request: Request, pk: Any = None) -> Response:
        """The reply attributes FreeRADIUS sends at the subscriber's next login."""
        reply = radius_selectors.effective_reply(self.get_object().username)
        return Response(RadiusReplySerializer({"attributes": reply}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=UsageSerializer,
    )
    @action(detail=True, methods=["get"])
    def usage(self, request: Request, pk: Any = None) -> Response:
        """Daily usage (default: the current cycle, at most 400 days) and where
        the subscription stands against its data cap."""
        sub = self.get_object()
        today = clock.today(sub.tenant)
        cycle = usage_selectors.cap_status(sub, today)
        end = _date_param(request, "end", today)
        start = _date_param(request, "start", cycle["cycle_start"])
        if start > end:
            raise InvalidInput("must not be after end", field="start")
        if (end - start).days > 400:
            raise InvalidInput("the range may span at most 400 days", field="start")
        days = usage_selectors.daily_usage(sub, start, end)
        return Response(UsageSerializer({"cycle": cycle, "days": days}).data)

    @extend_schema(responses=SessionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def sessions(self, request: Request, pk: Any = None) -> Response:
        """Accounting sessions, newest first (the open one, if online, first)."""
        rows = radius_selectors.session_history(self.get_object())
        return Response(SessionSerializer(rows, many=True).data)

    @extend_schema(responses=AuthAttemptSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="auth-attempts")
    def auth_attempts(self, request: Request, pk: Any = None) -> Response:
        """Login attempts with FreeRADIUS's answer, so support sees why a login fails."""
        rows = radius_selectors.auth_attempts(self.get_object())[:100]
        return Response(AuthAttemptSerializer(rows, many=True).data)

    @extend_schema(request=AttachAddOnSerializer, responses={201: SubscriptionAddOnSerializer})
    @action(detail=True, methods=["post"])
    def addons(self, request: Request, pk: Any = None) -> Response:
        """Attach an add-on (quantity, start date) to the subscription."""
        params = AttachAddOnSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        attached = subscriptions.attach_addon(
            subscription=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(SubscriptionAddOnSerializer(attached).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GrantPromotionSerializer, responses={201: SubscriptionPromotionSerializer}
    )
    @action(detail=True, methods=["post"])
    def promotions(self, request: Request, pk: Any = None) -> Response:
        """Grant a promotion to the subscription."""
        params = GrantPromotionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        granted = subscriptions.grant_promotion(
            subscription=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(
            SubscriptionPromotionSerializer(granted).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "terminate", TransitionSerializer)


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Invoices (issued by billing runs) and their PDF."""

    queryset = Invoice.objects.prefetch_related("lines")
    serializer_class = InvoiceSerializer
    filterset_fields = ["status", "customer", "number"]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        invoice = self.get_object()
        if not invoice.number:
            raise NotFound("a draft invoice has no PDF", field="invoice")
        return _pdf_response(document_pdf(invoice), f"{invoice.number}.pdf")

    @extend_schema(request=None, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"], url_path="charge-card")
    def charge_card(self, request: Request, pk: Any = None) -> Response:
        """Charge what is due to the customer's primary saved card."""
        payment = cards.charge_invoice(invoice=self.get_object(), actor=request.user)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CreditNoteCreateSerializer, responses={201: CreditNoteSerializer})
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request: Request, pk: Any = None) -> Response:
        """Issue a credit note for this invoice (all that is left, or the given lines)."""
        params = CreditNoteCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        note = create_credit_note(
            invoice=self.get_object(),
            reason=data["reason"],
            lines=data.get("lines"),
            issue_date=data.get("issue_date"),
            actor=request.user,
        )
        return Response(CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Payments, allocated to the oldest open invoices when recorded."""

    queryset = Payment.objects.select_related("customer").prefetch_related("allocations__invoice")
    serializer_class = PaymentSerializer
    filterset_fields = ["customer", "method", "reference"]

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request) -> Response:
        params = PaymentCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        customer = _customer_of(self, data["customer"]) if data.get("customer") else None
        payment = payments.record_payment(
            tenant=self.tenant,
            customer=customer,
            account_number=data.get("account_number"),
            amount=data["amount"],
            received_on=data.get("received_on"),
            method=data["method"],
            reference=data.get("reference", ""),
            actor=request.user,
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RefundAmountSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"], url_path="refund-to-card")
    def refund_to_card(self, request: Request, pk: Any = None) -> Response:
        """Refund unused credit of a card payment back to the card."""
        params = RefundAmountSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        refund = cards.refund_card_payment(
            payment=self.get_object(), actor=request.user, amount=params.validated_data["amount"]
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class CreditNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Credit notes (issued from an invoice: POST /invoices/{id}/credit-notes/) and their PDF."""

    queryset = CreditNote.objects.select_related("invoice").prefetch_related("lines")
    serializer_class = CreditNoteSerializer
    filterset_fields = ["customer", "invoice", "number"]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        note = self.get_object()
        return _pdf_response(document_pdf(note), f"{note.number}.pdf")


class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Refunds of customer credit."""

    queryset = Refund.objects.all()
    serializer_class = RefundSerializer
    filterset_fields = ["customer", "method"]

    @extend_schema(request=RefundCreateSerializer, responses={201: RefundSerializer})
    def create(self, request: Request) -> Response:
        params = RefundCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        customer = _customer_of(self, data.pop("customer"))
        refund = payments.record_refund(
            tenant=self.tenant, customer=customer, actor=request.user, **data
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class ChargeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Pending and invoiced one-time charges and proration adjustments."""

    queryset = Charge.objects.all()
    serializer_class = ChargeSerializer
    filterset_fields = ["subscription", "kind", "invoice"]


class AddOnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Add-ons sold on top of plans."""

    queryset = AddOn.objects.all()
    serializer_class = AddOnSerializer

    def create(self, request: Request) -> Response:
        data = _input(
            request, {"code", "name", "monthly_price", "tax_rate", "currency", "cycle_months"}
        )
        addon = catalog.create_addon(tenant=self.tenant, actor=request.user, **data)
        return Response(AddOnSerializer(addon).data, status=status.HTTP_201_CREATED)


class PromotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Promotions: percent or fixed off the plan, for some cycles or forever."""

    queryset = Promotion.objects.all()
    serializer_class = PromotionSerializer

    def create(self, request: Request) -> Response:
        data = _input(request, {"code", "name", "kind", "value", "cycles"})
        promotion = catalog.create_promotion(tenant=self.tenant, actor=request.user, **data)
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)


class BundleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Bundles of plans and add-ons sold at a discount."""

    queryset = Bundle.objects.prefetch_related("plans", "addons")
    serializer_class = BundleSerializer

    def create(self, request: Request) -> Response:
        data = _input(
            request,
            {
                "code",
                "name",
                "plans",
                "addons",
                "discount_kind",
                "discount_value",
                "requires_all_products",
            },
        )
        bundle = catalog.create_bundle(tenant=self.tenant, actor=request.user, **data)
        return Response(BundleSerializer(bundle).data, status=status.HTTP_201_CREATED)


class BillingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Billing runs with their counts, totals per currency and failures; POST starts one."""

    queryset = BillingRun.objects.prefetch_related("failures")
    serializer_class = BillingRunSerializer

    @extend_schema(request=BillingRunCreateSerializer, responses={201: BillingRunSerializer})
    def create(self, request: Request) -> Response:
        params = BillingRunCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        run = billing.run_billing(
            tenant=self.tenant, as_of=params.validated_data["as_of"], actor=request.user
        )
        outbox.drain()
        return Response(BillingRunSerializer(run).data, status=status.HTTP_201_CREATED)


def _customer_of(viewset: TenantViewSet, pk: Any) -> Customer:
    customer = Customer.objects.for_tenant(viewset.tenant).filter(pk=pk).first()
    if customer is None:
        raise NotFound("no such customer in this tenant", field="customer")
    return customer


class PaymentMethodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Saved cards (tokens only) and bank accounts with mandates, shown masked."""

    queryset = CustomerPaymentMethod.objects.all()
    serializer_class = PaymentMethodSerializer
    filterset_fields = ["customer", "kind"]

    @extend_schema(request=PaymentMethodCreateSerializer, responses={201: PaymentMethodSerializer})
    def create(self, request: Request) -> Response:
        params = PaymentMethodCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        customer = _customer_of(self, data.pop("customer"))
        kind, primary = data.pop("kind"), data.pop("primary")
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
    """Reported bank transfers: submit with proof, then approve or reject (seed 003)."""

    queryset = BankTransfer.objects.all()
    serializer_class = BankTransferSerializer
    filterset_fields = ["customer", "status"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=BankTransferCreateSerializer, responses={201: BankTransferSerializer})
    def create(self, request: Request) -> Response:
        params = BankTransferCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        transfer = transfers.submit_transfer(
            customer=_customer_of(self, data.pop("customer")), actor=request.user, **data
        )
        return Response(BankTransferSerializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BankTransferSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        transfer = transfers.approve_transfer(transfer=self.get_object(), actor=request.user)
        return Response(BankTransferSerializer(transfer).data)

    @extend_schema(request=ReasonSerializer, responses=BankTransferSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        params = ReasonSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        transfer = transfers.reject_transfer(
            transfer=self.get_object(), actor=request.user, reason=params.validated_data["reason"]
        )
        return Response(BankTransferSerializer(transfer).data)


class BankStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Imported bank statements; POST a camt.053, MT940 or OFX file to import one."""

    queryset = BankStatement.objects.all()
    serializer_class = BankStatementSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=BankStatementUploadSerializer, responses={201: BankStatementSerializer})
    def create(self, request: Request) -> Response:
        params = BankStatementUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        statement = statements.import_statement(
            tenant=self.tenant,
            data=upload.read(),
            filename=upload.name,
            format=params.validated_data.get("format"),
            actor=request.user,
        )
        return Response(BankStatementSerializer(statement).data, status=status.HTTP_201_CREATED)


class StatementLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Statement lines; ``?status=unmatched`` is the queue to match by hand."""

    queryset = StatementLine.objects.all()
    serializer_class = StatementLineSerializer
    filterset_fields = ["status", "statement", "customer"]

    @extend_schema(request=MatchSerializer, responses=StatementLineSerializer)
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: Any = None) -> Response:
        params = MatchSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        line = statements.match_line(
            line=self.get_object(),
            actor=request.user,
            customer=_customer_of(self, params.validated_data["customer"]),
        )
        return Response(StatementLineSerializer(line).data)


class DirectDebitBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """SEPA direct debit batches (pain.008); POST creates one, ``xml`` downloads it."""

    queryset = DirectDebitBatch.objects.all()
    serializer_class = DirectDebitBatchSerializer

    @extend_schema(
        request=DirectDebitBatchCreateSerializer, responses={201: DirectDebitBatchSerializer}
    )
    def create(self, request: Request) -> Response:
        params = DirectDebitBatchCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        batch = direct_debit.create_batch(
            tenant=self.tenant, actor=request.user, **params.validated_data
        )
        return Response(DirectDebitBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/xml"): OpenApiResponse(description="pain.008")})
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
        request=ReturnsUploadSerializer,
        responses={
            200: OpenApiResponse(description="The returned collections: end_to_end_id and reason")
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def returns(self, request: Request) -> Response:
        """Import the bank's pain.002 / camt.054 returns."""
        params = ReturnsUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        items = direct_debit.import_returns(
            tenant=self.tenant, actor=request.user, data=params.validated_data["file"].read()
        )
        return Response(
            [{"end_to_end_id": i.end_to_end_id, "reason": i.return_reason} for i in items]
        )


class DunningCampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Dunning campaigns with their steps; ``stats`` gives the recovery figures."""

    queryset = DunningCampaign.objects.prefetch_related("steps")
    serializer_class = DunningCampaignSerializer

    @extend_schema(
        request=DunningCampaignCreateSerializer, responses={201: DunningCampaignSerializer}
    )
    def create(self, request: Request) -> Response:
        params = DunningCampaignCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        campaign = dunning.create_campaign(
            tenant=self.tenant, actor=request.user, **params.validated_data
        )
        return Response(DunningCampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk: Any = None) -> Response:
        figures = dunning.campaign_stats(self.get_object())
        return Response({k: str(v) if isinstance(v, Decimal) else v for k, v in figures.items()})


class DunningExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Campaigns running for customers; ``promise`` pauses one until a date."""

    queryset = DunningExecution.objects.all()
    serializer_class = DunningExecutionSerializer
    filterset_fields = ["status", "campaign", "customer"]

    @extend_schema(request=PromiseSerializer, responses=DunningExecutionSerializer)
    @action(detail=True, methods=["post"])
    def promise(self, request: Request, pk: Any = None) -> Response:
        params = PromiseSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        execution = dunning.promise_to_pay(
            execution=self.get_object(), actor=request.user, until=params.validated_data["until"]
        )
        return Response(DunningExecutionSerializer(execution).data)


class StripeWebhookView(APIView):
    """Stripe webhooks: the signature is the authentication (STRIPE_WEBHOOK_SECRET)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: OpenApiResponse(description="handled")})
    def post(self, request: Request) -> Response:
        kind = cards.handle_webhook(request.body, request.headers.get("Stripe-Signature", ""))
        return Response({"received": kind})
