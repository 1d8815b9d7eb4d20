"""API of contracts: list, read, create drafts, amend (each change a new
version), put subscriptions under them or take them out, activate,
terminate early (with a preview of the fee) and renew."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core import clock
from ispstack.core.api.base import TenantViewSet, date_param, pdf_response
from ispstack.sales.api import contracts_serializers as s
from ispstack.sales.contracts import services
from ispstack.sales.contracts.credits import issue_service_credit
from ispstack.sales.contracts.documents import contract_pdf
from ispstack.sales.contracts.selectors import fee_preview
from ispstack.sales.models import (
    Contract,
    ContractSubscription,
    ContractVersion,
)
from ispstack.sales.permissions import CONTRACT_PERMS


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Contracts: drafts are signed (activated); the terms change only by
    amendment (``PATCH``, a new version with its reason)."""

    queryset = (
        Contract.objects.select_related("tenant")
        .prefetch_related(
            Prefetch("versions", queryset=ContractVersion.objects.order_by("version"))
        )
        .prefetch_related(
            Prefetch(
                "links",
                queryset=ContractSubscription.objects.select_related("subscription").order_by("pk"),
            ),
            "credits",
            "shortfalls",
        )
    )
    serializer_class = s.ContractSerializer
    required_perms = CONTRACT_PERMS
    filterset_fields = ["status", "customer", "number"]

    def get_queryset(self) -> QuerySet[Contract]:
        return super().get_queryset().order_by("-id")

    def _answer(self, contract: Contract, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(s.ContractSerializer(fresh).data, status=code)

    @extend_schema(request=s.ContractInputSerializer, responses={201: s.ContractSerializer})
    def create(self, request: Request) -> Response:
        contract = services.create_contract(
            tenant=self.tenant, actor=request.user, **self.validated(s.ContractInputSerializer)
        )
        return self._answer(contract, status.HTTP_201_CREATED)

    @extend_schema(request=s.AmendInputSerializer, responses=s.ContractSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        contract = services.amend_contract(
            contract=self.get_object(),
            actor=request.user,
            **self.validated(s.AmendInputSerializer, partial=True),
        )
        return self._answer(contract)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.delete_contract(contract=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.SubscriptionInputSerializer, responses=s.ContractSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: Any = None) -> Response:
        contract = self.get_object()
        services.link_subscription(
            contract=contract,
            actor=request.user,
            **self.validated(s.SubscriptionInputSerializer),
        )
        return self._answer(contract)

    @extend_schema(request=s.ReleaseInputSerializer, responses=s.ContractSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        contract = self.get_object()
        services.release_subscription(
            contract=contract, actor=request.user, **self.validated(s.ReleaseInputSerializer)
        )
        return self._answer(contract)

    @extend_schema(request=s.ActivateInputSerializer, responses=s.ContractSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        contract = services.activate_contract(
            contract=self.get_object(),
            actor=request.user,
            **self.validated(s.ActivateInputSerializer),
        )
        return self._answer(contract)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "on", OpenApiTypes.DATE, description="The last day of service (default today)."
            )
        ],
        responses=s.FeePreviewSerializer,
    )
    @action(detail=True, methods=["get"], url_path="termination-fee")
    def termination_fee(self, request: Request, pk: Any = None) -> Response:
        contract = self.get_object()
        on = date_param(request, "on", clock.today(contract.tenant))
        return Response(s.FeePreviewSerializer(fee_preview(contract, on)).data)

    @extend_schema(request=s.TerminateInputSerializer, responses=s.ContractSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: Any = None) -> Response:
        contract = services.terminate_contract(
            contract=self.get_object(),
            actor=request.user,
            **self.validated(s.TerminateInputSerializer),
        )
        return self._answer(contract)

    @extend_schema(request=s.RenewInputSerializer, responses=s.ContractSerializer)
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: Any = None) -> Response:
        contract = services.renew_contract(
            contract=self.get_object(), actor=request.user, **self.validated(s.RenewInputSerializer)
        )
        return self._answer(contract)

    @extend_schema(
        request=s.ServiceCreditInputSerializer,
        responses={201: s.ServiceCreditSerializer, 204: None},
    )
    @action(detail=True, methods=["post"], url_path="service-credits")
    def service_credit(self, request: Request, pk: Any = None) -> Response:
        credit = issue_service_credit(
            contract=self.get_object(),
            actor=request.user,
            **self.validated(s.ServiceCreditInputSerializer),
        )
        if credit is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.ServiceCreditSerializer(credit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        contract = self.get_object()
        return pdf_response(contract_pdf(contract), f"{contract.number}-v{contract.version}.pdf")
