"""The portal API's views: thin, reading through ``portal.selectors`` with the
token's customer only (another customer's or tenant's id answers 404), the
PDFs from the same functions the portal's pages use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from ispstack.billing.documents import document_pdf, render_pdf
from ispstack.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ispstack.core import clock, inputs
from ispstack.core.access import client_ip
from ispstack.core.api.base import pdf_response
from ispstack.core.api.bearer import LoginRateThrottle
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.payments.documents import statement_pdf
from ispstack.payments.models import Payment
from ispstack.payments.selectors import statement
from ispstack.portal import selectors, services, sign_in_codes
from ispstack.portal.api import serializers as s
from ispstack.portal.api.authentication import (
    IsPortalUser,
    PortalTokenAuthentication,
    PortalTokenRateThrottle,
)
from ispstack.portal.api.tokens import create_token, revoke_token
from ispstack.portal.models import PortalToken, PortalUser
from ispstack.portal.views.auth import lockout_key
from ispstack.subscriptions.models import Subscription

PDF = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")}
MAX_ID = s.MAX_ID


def _id(value: Any) -> int:
    """A path's id as a number; anything that is not one names no row (404)."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise Http404("No such object.")
    return int(text)


# Any path segment reaches the view, which answers 404 in the API's shape for
# an id that is not a number (the router's default stops at a dot).
ID_PATTERN = "[^/]+"


class PortalViewMixin(APIView):
    """A portal API route: a portal token only (a staff token or session
    answers 401), the token's customer and tenant, never cached."""

    authentication_classes = [PortalTokenAuthentication]
    permission_classes = [IsPortalUser]
    throttle_classes = [PortalTokenRateThrottle]

    @property
    def portal_user(self) -> PortalUser:
        """The token's portal user (with customer and tenant)."""
        token = self.request.auth
        assert isinstance(token, PortalToken)
        return token.user

    @property
    def customer(self) -> Customer:
        return self.portal_user.customer

    @property
    def today(self) -> dt.date:
        """The tenant's local date."""
        return clock.today(self.portal_user.tenant)

    def validated(self, serializer: type[Serializer]) -> dict[str, Any]:
        """The request body checked by ``serializer`` (an ``Input``); raises
        DRF's ValidationError, a 400 naming the field, before anything is written."""
        params = serializer(data=self.request.data)
        params.is_valid(raise_exception=True)
        return dict(params.validated_data)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        return response


# Tokens.


class TokenView(APIView):
    """Exchange a portal login (tenant slug, email address or account number,
    password) for a portal API token, shown once.

    Wrong passwords count in django-axes under the portal sign-in's key
    (``portal:<tenant>:<login>``) and the client's address, as the portal's
    sign-in page counts them: at ``AXES_FAILURE_LIMIT`` the pair is refused
    with 429 (``code`` ``locked_out``, ``Retry-After``) for
    ``AXES_COOLOFF_TIME``, the right password included.

    A login that must type a one-time code sent by SMS at sign-in
    (``portal.sign_in_codes``) gets no token here, even with the right
    password: 400 ``{"code": "sign_in_code_required", "field": "login"}``.
    The endpoint takes no code on purpose: a script holding a password would
    otherwise pass the rule that a person with the phone signs in. Tokens
    made before the rule was switched on keep working until they expire or
    are revoked.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    serializer_class = s.PortalTokenRequestSerializer

    @extend_schema(
        request=s.PortalTokenRequestSerializer, responses={200: s.PortalNewTokenSerializer}
    )
    def post(self, request: Request) -> Response:
        params = s.PortalTokenRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        tenant = Tenant.objects.filter(slug=data["tenant"]).first()
        if tenant is None:
            raise ValidationError({"tenant": "is not the portal of any ISP here"})
        login = data["login"]
        if not login.strip():
            raise ValidationError({"login": "enter an email address or account number"})
        django_request = request._request
        credentials = {"username": lockout_key(tenant, login)}
        if not AxesProxyHandler.is_allowed(django_request, credentials):
            return self._locked()
        ip = client_ip(request)
        user = services.authenticate(tenant=tenant, login=login, password=data["password"])
        if user is None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=django_request)
            services.record_failed_login(tenant=tenant, login=login, ip=ip)
            if getattr(django_request, "axes_locked_out", False):
                # Answered here in the API's shape, not by AxesMiddleware.
                django_request.axes_locked_out = False  # type: ignore[attr-defined]
                return self._locked()
            raise ValidationError(
                "unable to sign in with this email address or account number and password"
            )
        if sign_in_codes.required(user):
            body = {
                "code": "sign_in_code_required",
                "field": "login",
                "detail": "this login must type a one-time code sent by SMS at sign-in, "
                "which the API cannot take: no API token is issued for it",
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        AxesProxyHandler.reset_attempts(username=credentials["username"], ip_address=ip)
        services.record_login(user=user, ip=ip)
        token, raw = create_token(user=user, name=data["name"], ip=ip)
        body = s.PortalNewTokenSerializer(token).data
        body["token"] = raw
        return Response(body, status=status.HTTP_200_OK)

    def _locked(self) -> Response:
        cool_off = settings.AXES_COOLOFF_TIME
        seconds = int(cool_off.total_seconds()) if cool_off else 0
        detail = "too many wrong passwords for this login from this address; " + (
            f"try again in {max(1, seconds // 60)} minutes" if seconds else "ask your ISP"
        )
        headers = {"Retry-After": str(seconds)} if seconds else {}
        body = {"code": "locked_out", "field": "login", "detail": detail}
        return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)


class TokenViewSet(
    PortalViewMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The portal user's own API tokens: list them, revoke one (``DELETE``,
    by prefix; a revoked token stays listed with the time it was revoked)."""

    serializer_class = s.PortalTokenSerializer
    queryset = PortalToken.objects.none()
    lookup_field = "prefix"
    lookup_value_regex = "[A-Za-z0-9_]+"

    def get_queryset(self) -> QuerySet[PortalToken]:
        if getattr(self, "swagger_fake_view", False):
            return PortalToken.objects.none()
        user = self.portal_user
        return PortalToken.objects.filter(tenant_id=user.tenant_id, user=user).select_related(
            "user", "tenant"
        )

    def perform_destroy(self, instance: PortalToken) -> None:
        revoke_token(token=instance, ip=client_ip(self.request))


# The account and its services.


class AccountView(PortalViewMixin):
    """The account as the dashboard shows it: balance, credit, next invoice, status."""

    @extend_schema(responses={200: s.PortalAccountSerializer})
    def get(self, request: Request) -> Response:
        board = selectors.dashboard(self.customer, self.today)
        return Response(s.PortalAccountSerializer(board).data)


class SubscriptionViewSet(PortalViewMixin, viewsets.GenericViewSet):
    """The customer's services (terminated ones left out, as on the
    dashboard): plan, speed, address, online now, usage this cycle; one with
    its latest sessions; its usage with each day of the cycle."""

    queryset = Subscription.objects.none()
    serializer_class = s.PortalServiceSerializer
    pagination_class = None
    lookup_value_regex = ID_PATTERN

    @extend_schema(responses={200: s.PortalServiceSerializer(many=True)})
    def list(self, request: Request) -> Response:
        board = selectors.dashboard(self.customer, self.today)
        return Response(s.PortalServiceSerializer(board.services, many=True).data)

    @extend_schema(responses={200: s.PortalServiceDetailSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        detail = selectors.service_detail(self.customer, _id(pk), self.today)
        if detail is None:
            raise Http404("No such service.")
        return Response(s.PortalServiceDetailSerializer(detail).data)

    @extend_schema(responses={200: s.PortalServiceUsageSerializer})
    @action(detail=True, methods=["get"])
    def usage(self, request: Request, pk: Any = None) -> Response:
        found = selectors.service_usage(self.customer, _id(pk), self.today)
        if found is None:
            raise Http404("No such service.")
        return Response(s.PortalServiceUsageSerializer(found).data)


# Documents and payments.


class _DocumentViewSet(PortalViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Lists (``limit`` / ``offset`` pages, newest first), details and PDFs of
    the customer's documents."""

    detail_serializer: Any = None
    lookup_value_regex = ID_PATTERN

    def get_object(self) -> Any:
        self.kwargs["pk"] = _id(self.kwargs.get("pk"))
        return super().get_object()

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(self.detail_serializer(self.get_object()).data)


class InvoiceViewSet(_DocumentViewSet):
    """The customer's invoices (void ones left out), as on the documents page."""

    queryset = Invoice.objects.none()
    serializer_class = s.PortalInvoiceSerializer
    detail_serializer = s.PortalInvoiceDetailSerializer

    def get_queryset(self) -> QuerySet[Invoice]:
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        found = selectors.invoices_of(self.customer)
        if self.action == "retrieve":
            lines = InvoiceLine.objects.order_by("pk")
            found = found.prefetch_related(Prefetch("lines", queryset=lines))
        return found

    @extend_schema(responses={200: s.PortalInvoiceDetailSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return super().retrieve(request, pk)

    @extend_schema(responses=PDF)
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        invoice = self.get_object()
        return pdf_response(document_pdf(invoice), f"{invoice.number}.pdf")


class CreditNoteViewSet(_DocumentViewSet):
    """The customer's credit notes with the invoice each credits."""

    queryset = CreditNote.objects.none()
    serializer_class = s.PortalCreditNoteSerializer
    detail_serializer = s.PortalCreditNoteDetailSerializer

    def get_queryset(self) -> QuerySet[CreditNote]:
        if getattr(self, "swagger_fake_view", False):
            return CreditNote.objects.none()
        found = selectors.credit_notes_of(self.customer)
        if self.action == "retrieve":
            lines = CreditNoteLine.objects.order_by("pk")
            found = found.prefetch_related(Prefetch("lines", queryset=lines))
        return found

    @extend_schema(responses={200: s.PortalCreditNoteDetailSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return super().retrieve(request, pk)

    @extend_schema(responses=PDF)
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        note = self.get_object()
        return pdf_response(document_pdf(note), f"{note.number}.pdf")


class PaymentViewSet(_DocumentViewSet):
    """The customer's payments with what each paid, and a receipt of each as PDF."""

    queryset = Payment.objects.none()
    serializer_class = s.PortalPaymentSerializer
    detail_serializer = s.PortalPaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payments_of(self.customer)

    @extend_schema(responses={200: s.PortalPaymentSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return super().retrieve(request, pk)

    @extend_schema(responses=PDF)
    @action(detail=True, methods=["get"])
    def receipt(self, request: Request, pk: Any = None) -> HttpResponse:
        payment = self.get_object()
        # The portal page's receipt: the same template, so both give one document.
        html = render_to_string(
            "portal/receipt_pdf.html",
            {"payment": payment, "customer": self.customer, "tenant": self.portal_user.tenant},
        )
        name = f"receipt-{payment.received_on:%Y%m%d}-{payment.pk}.pdf"
        return pdf_response(render_pdf(html), name)


class StatementView(PortalViewMixin):
    """The statement of account between two dates as PDF (by default from a
    year before the start of this month to today), as the payments page's."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
        ],
        responses=PDF,
    )
    def get(self, request: Request) -> HttpResponse:
        today = self.today
        default_start = today.replace(day=1) - dt.timedelta(days=365)
        start = inputs.day(request.query_params.get("start") or default_start.isoformat(), "start")
        end = inputs.day(request.query_params.get("end") or today.isoformat(), "end")
        if start > end:
            raise InvalidInput("must not be after the end date", field="start")
        customer = self.customer
        pdf = statement_pdf(statement(customer, start, end))
        return pdf_response(pdf, f"statement-{customer.account_number}-{end}.pdf")
