"""API of a subscription's installation and equipment: the installation
record on ``subscriptions/{id}/installation/``, assigning and releasing ONUs
on the network app's ``onus/`` resource, and the ONU assignment history."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.core.api.fields import (
    BoundedDateField,
    Input,
    InputSerializer,
    StrictCharField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.core.models import User
from ispstack.network.api.serializers import OnuSerializer
from ispstack.network.api.views import OnuViewSet
from ispstack.network.models import RELEASE_STATES
from ispstack.subscriptions import equipment
from ispstack.subscriptions.api.views import SubscriptionViewSet
from ispstack.subscriptions.models import OnuAssignment, Subscription


class InstallationSerializer(serializers.ModelSerializer):
    """The installation record and line of a subscription."""

    class Meta:
        model = Subscription
        fields = ["id", *equipment.INSTALLATION_FIELDS]


class InstallationInputSerializer(InputSerializer):
    """Input of ``POST subscriptions/{id}/installation/``: the fields to change.
    ``installation_status`` completed needs the GPS position of the
    customer's service address."""

    installation_date = BoundedDateField(required=False, allow_null=True)
    technician = TenantPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = Subscription
        fields = list(equipment.INSTALLATION_FIELDS)
        extra_kwargs = {
            field: {"required": False}
            for field in equipment.INSTALLATION_FIELDS
            if field not in ("installation_date", "technician")
        }


class SubscriptionInstallationViewSet(TenantViewSet):
    """The installation record on ``subscriptions/{id}/``."""

    queryset = SubscriptionViewSet.queryset
    serializer_class = InstallationSerializer
    required_perms = {
        "installation": ("subscriptions.change_subscription", "network.view_device"),
    }
    filterset_fields = SubscriptionViewSet.filterset_fields

    @extend_schema(request=InstallationInputSerializer, responses=InstallationSerializer)
    @action(detail=True, methods=["post"])
    def installation(self, request: Request, pk: Any = None) -> Response:
        """Change the installation record: status, date, technician, notes,
        connection type, last-mile technology, sector and CPE."""
        sub = equipment.update_installation(
            subscription=self.get_object(),
            actor=request.user,
            **self.validated(InstallationInputSerializer, partial=True),
        )
        return Response(InstallationSerializer(sub).data)


class OnuAssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnuAssignment
        fields = ["id", "onu", "subscription", "assigned_at", "released_at", "reason"]


class AssignOnuSerializer(Input):
    """Input of ``POST onus/{id}/assign/``."""

    subscription = TenantPrimaryKeyRelatedField(queryset=Subscription.objects.all())


class ReleaseOnuSerializer(Input):
    """Input of ``POST onus/{id}/release/``: why, and where the ONU goes."""

    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)
    to_state = serializers.ChoiceField(
        choices=[str(s) for s in RELEASE_STATES], required=False, default="in_stock"
    )


class OnuAssignViewSet(TenantViewSet):
    """Assigning an ONU to a subscription and releasing it, on ``onus/{id}/``
    (the stock itself is served by the network API)."""

    queryset = OnuViewSet.queryset
    serializer_class = OnuSerializer
    required_perms = {
        "assign": ("network.change_onu", "subscriptions.add_onuassignment"),
        "release": ("network.change_onu", "subscriptions.change_onuassignment"),
    }
    filterset_fields = OnuViewSet.filterset_fields

    @extend_schema(request=AssignOnuSerializer, responses={201: OnuAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """Assign the in-stock ONU to a subscription (409 when not in stock)."""
        assignment = equipment.assign_onu(
            onu=self.get_object(), actor=request.user, **self.validated(AssignOnuSerializer)
        )
        return Response(OnuAssignmentSerializer(assignment).data, status=201)

    @extend_schema(request=ReleaseOnuSerializer, responses=OnuAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        """Take the ONU back: to stock, faulty or returned (409 when not assigned)."""
        assignment = equipment.release_onu(
            onu=self.get_object(), actor=request.user, **self.validated(ReleaseOnuSerializer)
        )
        return Response(OnuAssignmentSerializer(assignment).data)


class OnuAssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Which ONU served which subscription, when, and why it was released."""

    queryset = OnuAssignment.objects.all()
    serializer_class = OnuAssignmentSerializer
    required_perms = {
        "list": ("subscriptions.view_onuassignment",),
        "retrieve": ("subscriptions.view_onuassignment",),
    }
    filterset_fields = ["onu", "subscription"]
