"""API of the provisioning app: leads (coverage, conversion), site surveys
with photos, and service orders (advance, retry, cancel, dry run)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.core.errors import InvalidInput
from ispstack.provisioning import intake, orders, services
from ispstack.provisioning.api.serializers import (
    ConvertSerializer,
    LeadInputSerializer,
    LeadSerializer,
    OrderInputSerializer,
    PhotoUploadSerializer,
    PlannedStepSerializer,
    ReasonSerializer,
    ServiceOrderSerializer,
    SurveyCompleteSerializer,
    SurveyInputSerializer,
    SurveyPhotoSerializer,
    SurveySerializer,
)
from ispstack.provisioning.models import Lead, OrderStep, ServiceOrder, SiteSurvey


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Prospects: who, where, which plan; their conversion into a customer."""

    queryset = Lead.objects.all()
    serializer_class = LeadSerializer
    required_perms = {
        "list": ("provisioning.view_lead",),
        "retrieve": ("provisioning.view_lead",),
        "create": ("provisioning.add_lead",),
        "partial_update": ("provisioning.change_lead",),
        "destroy": ("provisioning.delete_lead",),
        "coverage": ("provisioning.change_lead", "network.view_site"),
        "convert": (
            "provisioning.change_lead",
            "provisioning.add_serviceorder",
            "customers.add_customer",
            "subscriptions.add_subscription",
        ),
    }
    filterset_fields = ["status", "source", "coverage"]

    def get_queryset(self) -> QuerySet[Lead]:
        return super().get_queryset().order_by("-id")

    @extend_schema(request=LeadInputSerializer, responses={201: LeadSerializer})
    def create(self, request: Request) -> Response:
        lead = services.create_lead(
            tenant=self.tenant, actor=request.user, **self.validated(LeadInputSerializer)
        )
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LeadInputSerializer, responses=LeadSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        lead = services.update_lead(
            lead=self.get_object(),
            actor=request.user,
            **self.validated(LeadInputSerializer, partial=True),
        )
        return Response(LeadSerializer(lead).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.delete_lead(lead=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def coverage(self, request: Request, pk: Any = None) -> Response:
        """Check which sites cover the lead's coordinates; the answer is stored on the lead."""
        lead = services.check_coverage(lead=self.get_object(), actor=request.user)
        return Response(LeadSerializer(lead).data)

    @extend_schema(request=ConvertSerializer, responses={201: ServiceOrderSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: Any = None) -> Response:
        """Make the customer, the pending subscription and its service order."""
        data = {k: v for k, v in self.validated(ConvertSerializer).items() if v is not None}
        order = services.convert_lead(lead=self.get_object(), actor=request.user, **data)
        return Response(ServiceOrderSerializer(order).data, status=status.HTTP_201_CREATED)


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Site surveys of leads: schedule, findings, outcome, photos."""

    queryset = SiteSurvey.objects.prefetch_related("photos")
    serializer_class = SurveySerializer
    required_perms = {
        "list": ("provisioning.view_sitesurvey",),
        "retrieve": ("provisioning.view_sitesurvey",),
        "create": ("provisioning.add_sitesurvey",),
        "partial_update": ("provisioning.change_sitesurvey",),
        "complete": ("provisioning.change_sitesurvey",),
        "cancel": ("provisioning.change_sitesurvey",),
        "photos": ("provisioning.add_surveyphoto",),
    }
    filterset_fields = ["lead", "status", "outcome"]

    def get_queryset(self) -> QuerySet[SiteSurvey]:
        return super().get_queryset().order_by("-scheduled_at", "-id")

    @extend_schema(request=SurveyInputSerializer, responses={201: SurveySerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(SurveyInputSerializer)
        lead = data.pop("lead", None)
        if lead is None:
            raise InvalidInput("is required", field="lead")
        survey = services.schedule_survey(lead=lead, actor=request.user, **data)
        return Response(SurveySerializer(survey).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SurveyInputSerializer, responses=SurveySerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        data = self.validated(SurveyInputSerializer, partial=True)
        data.pop("lead", None)
        survey = services.update_survey(survey=self.get_object(), actor=request.user, **data)
        return Response(SurveySerializer(survey).data)

    @extend_schema(request=SurveyCompleteSerializer, responses=SurveySerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        """Record the outcome; a serviceable survey qualifies the lead."""
        survey = services.complete_survey(
            survey=self.get_object(),
            actor=request.user,
            **self.validated(SurveyCompleteSerializer),
        )
        return Response(SurveySerializer(survey).data)

    @extend_schema(request=ReasonSerializer, responses=SurveySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        survey = services.cancel_survey(
            survey=self.get_object(), actor=request.user, **self.validated(ReasonSerializer)
        )
        return Response(SurveySerializer(survey).data)

    @extend_schema(request=PhotoUploadSerializer, responses={201: SurveyPhotoSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request: Request, pk: Any = None) -> Response:
        """Upload a photo (JPEG, PNG or WebP by content; size and count limited)."""
        photo = services.add_survey_photo(
            survey=self.get_object(),
            actor=request.user,
            image=self.validated(PhotoUploadSerializer)["image"],
        )
        return Response(SurveyPhotoSerializer(photo).data, status=status.HTTP_201_CREATED)


class ServiceOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Service orders and their steps; advance, retry, cancel, dry run."""

    queryset = ServiceOrder.objects.select_related("subscription").prefetch_related(
        Prefetch("steps", queryset=OrderStep.objects.order_by("position"))
    )
    serializer_class = ServiceOrderSerializer
    required_perms = {
        "list": ("provisioning.view_serviceorder",),
        "retrieve": ("provisioning.view_serviceorder",),
        # An order makes a subscription; a new service address also needs
        # customers.change_customer (checked in create).
        "create": ("provisioning.add_serviceorder", "subscriptions.add_subscription"),
        "advance": ("provisioning.change_serviceorder",),
        "retry": ("provisioning.change_serviceorder",),
        "cancel": ("provisioning.change_serviceorder",),
        "dry_run": ("provisioning.view_serviceorder",),
    }
    filterset_fields = ["status", "customer", "lead"]

    def get_queryset(self) -> QuerySet[ServiceOrder]:
        return super().get_queryset().order_by("-id")

    def _answer(self, order: ServiceOrder, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            ServiceOrderSerializer(self.get_queryset().get(pk=order.pk)).data, status=code
        )

    @extend_schema(request=OrderInputSerializer, responses={201: ServiceOrderSerializer})
    def create(self, request: Request) -> Response:
        """An order for an existing customer, without a lead: its pending
        subscription and the order's steps; the advance is queued."""
        data = {k: v for k, v in self.validated(OrderInputSerializer).items() if v is not None}
        moving = set(data) & {*intake.ADDRESS_FIELDS, "latitude", "longitude"}
        if moving and not request.user.has_perm("customers.change_customer"):
            raise PermissionDenied(
                f"changing the customer's service address ({', '.join(sorted(moving))})"
                " needs the right to change customers"
            )
        order = intake.order_for_customer(actor=request.user, **data)
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ServiceOrderSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: Any = None) -> Response:
        """Run the due steps as far as they go (inline)."""
        return self._answer(orders.advance(order=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=ServiceOrderSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: Any = None) -> Response:
        """Try the blocked or waiting step now, then go on."""
        return self._answer(orders.retry(order=self.get_object(), actor=request.user))

    @extend_schema(request=ReasonSerializer, responses=ServiceOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Cancel and release what the order holds."""
        order = orders.cancel(
            order=self.get_object(), actor=request.user, **self.validated(ReasonSerializer)
        )
        return self._answer(order)

    @extend_schema(responses=PlannedStepSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="dry-run",
        filter_backends=[],
        pagination_class=None,
    )
    def dry_run(self, request: Request, pk: Any = None) -> Response:
        """What each unfinished step would do; changes nothing."""
        plan = orders.dry_run(order=self.get_object())
        return Response(PlannedStepSerializer(plan, many=True).data)
