"""API of the billing app: invoices, credit notes, charges, billing runs, and
the billing actions on a subscription (plan change, one-time charges)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.billing import services as billing
from ispstack.billing.api.serializers import (
    BillingRunInputSerializer,
    BillingRunSerializer,
    ChangePlanInputSerializer,
    ChargeInputSerializer,
    ChargeSerializer,
    CreditNoteInputSerializer,
    CreditNoteSerializer,
    InvoiceSerializer,
)
from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.documents import document_pdf
from ispstack.billing.models import BillingRun, Charge, CreditNote, Invoice
from ispstack.billing.proration import add_charge
from ispstack.core.api.base import TenantViewSet, pdf_response
from ispstack.subscriptions.api.serializers import PlanChangeSerializer, SubscriptionSerializer
from ispstack.subscriptions.api.views import SubscriptionViewSet
from ispstack.subscriptions.models import Subscription


class SubscriptionBillingViewSet(TenantViewSet):
    """Billing actions on ``subscriptions/{id}/``: plan change and one-time charges
    (the subscription itself is served by the subscriptions API)."""

    queryset = SubscriptionViewSet.queryset
    serializer_class = SubscriptionViewSet.serializer_class
    required_perms = {
        "change_plan": ("subscriptions.change_subscription", "billing.add_charge"),
        "charges": ("subscriptions.view_subscription", "billing.add_charge"),
    }
    filterset_fields = SubscriptionViewSet.filterset_fields

    @extend_schema(
        request=ChangePlanInputSerializer,
        responses={200: SubscriptionSerializer, 202: PlanChangeSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-plan")
    def change_plan(self, request: Request, pk: Any = None) -> Response:
        """Change the plan now (prorated), at the next cycle, or on a date."""
        result = billing.change_plan(
            subscription=self.get_object(),
            actor=request.user,
            **self.validated(ChangePlanInputSerializer),
        )
        if isinstance(result, Subscription):
            return Response(SubscriptionSerializer(result).data)
        return Response(PlanChangeSerializer(result).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ChargeInputSerializer, responses={201: ChargeSerializer})
    @action(detail=True, methods=["post"])
    def charges(self, request: Request, pk: Any = None) -> Response:
        """Queue a one-time charge (installation, router...) for the next invoice."""
        charge = add_charge(
            subscription=self.get_object(),
            actor=request.user,
            **self.validated(ChargeInputSerializer),
        )
        return Response(ChargeSerializer(charge).data, status=status.HTTP_201_CREATED)


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Invoices (issued by billing runs) and their PDF."""

    queryset = Invoice.objects.prefetch_related("lines")
    serializer_class = InvoiceSerializer
    required_perms = {
        "list": ("billing.view_invoice",),
        "retrieve": ("billing.view_invoice",),
        "pdf": ("billing.view_invoice",),
        "credit_notes": ("billing.view_invoice", "billing.add_creditnote"),
    }
    filterset_fields = ["status", "customer", "number"]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        invoice = self.get_object()
        return pdf_response(document_pdf(invoice), f"{invoice.number}.pdf")

    @extend_schema(request=CreditNoteInputSerializer, responses={201: CreditNoteSerializer})
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request: Request, pk: Any = None) -> Response:
        """Issue a credit note for this invoice (all that is left, or the given lines)."""
        note = create_credit_note(
            invoice=self.get_object(),
            actor=request.user,
            **self.validated(CreditNoteInputSerializer),
        )
        return Response(CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class CreditNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Credit notes (issued from an invoice: POST /invoices/{id}/credit-notes/) and their PDF."""

    queryset = CreditNote.objects.select_related("invoice").prefetch_related("lines")
    serializer_class = CreditNoteSerializer
    required_perms = {
        "list": ("billing.view_creditnote",),
        "retrieve": ("billing.view_creditnote",),
        "pdf": ("billing.view_creditnote",),
    }
    filterset_fields = ["customer", "invoice", "number"]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        note = self.get_object()
        return pdf_response(document_pdf(note), f"{note.number}.pdf")


class ChargeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Pending and invoiced one-time charges and proration adjustments."""

    queryset = Charge.objects.all()
    serializer_class = ChargeSerializer
    required_perms = {
        "list": ("billing.view_charge",),
        "retrieve": ("billing.view_charge",),
    }
    filterset_fields = ["subscription", "kind", "invoice"]


class BillingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Billing runs with their counts, totals per currency and failures; POST starts one."""

    queryset = BillingRun.objects.prefetch_related("failures")
    serializer_class = BillingRunSerializer
    required_perms = {
        "list": ("billing.view_billingrun",),
        "retrieve": ("billing.view_billingrun",),
        "create": ("billing.add_billingrun",),
    }

    @extend_schema(request=BillingRunInputSerializer, responses={201: BillingRunSerializer})
    def create(self, request: Request) -> Response:
        run = billing.run_billing(
            tenant=self.tenant, actor=request.user, **self.validated(BillingRunInputSerializer)
        )
        return Response(BillingRunSerializer(run).data, status=status.HTTP_201_CREATED)
