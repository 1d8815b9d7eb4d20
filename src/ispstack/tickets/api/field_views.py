"""API of field service: technicians, and appointments booked (auto-assigned),
suggested, moved along and completed with photos."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.core.errors import InvalidInput
from ispstack.tickets.api.field_serializers import (
    AppointmentSerializer,
    AppointmentTransitionInputSerializer,
    BookInputSerializer,
    CompleteInputSerializer,
    RescheduleInputSerializer,
    SlotSerializer,
    SuggestInputSerializer,
    TechnicianInputSerializer,
    TechnicianSerializer,
    TimeOffInputSerializer,
    TimeOffSerializer,
)
from ispstack.tickets.field import selectors, services
from ispstack.tickets.models.field import Appointment, AppointmentState, Technician


class TechnicianViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Field technicians: skills, working hours (tenant-local), home base and service area."""

    queryset = Technician.objects.select_related("user")
    serializer_class = TechnicianSerializer
    required_perms = {
        "list": ("tickets.view_technician",),
        "retrieve": ("tickets.view_technician",),
        "create": ("tickets.add_technician",),
        "partial_update": ("tickets.change_technician",),
        "time_off": ("tickets.view_technician", "tickets.add_timeoff"),
    }
    filterset_fields = ["is_active"]

    def get_queryset(self) -> QuerySet[Technician]:
        return super().get_queryset().order_by("pk")

    @extend_schema(request=TechnicianInputSerializer, responses={201: TechnicianSerializer})
    def create(self, request: Request) -> Response:
        values = self.validated(TechnicianInputSerializer)
        user = values.pop("user", None)
        if user is None:
            raise InvalidInput("the staff user to make a technician", field="user")
        tech = services.save_technician(tenant=self.tenant, actor=request.user, user=user, **values)
        return Response(TechnicianSerializer(tech).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TechnicianInputSerializer, responses=TechnicianSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        values = self.validated(TechnicianInputSerializer, partial=True)
        if "user" in values:
            raise InvalidInput("a technician's user can't change", field="user")
        tech = self.get_object()
        tech = services.save_technician(
            tenant=tech.tenant, actor=request.user, user=tech.user, technician=tech, **values
        )
        return Response(TechnicianSerializer(tech).data)

    @extend_schema(request=TimeOffInputSerializer, responses={201: TimeOffSerializer})
    @action(detail=True, methods=["post"], url_path="time-off", filter_backends=[])
    def time_off(self, request: Request, pk: Any = None) -> Response:
        """Record days off; 409 naming ``start_date`` when visits are booked then."""
        days_off = services.add_time_off(
            technician=self.get_object(),
            actor=request.user,
            **self.validated(TimeOffInputSerializer),
        )
        return Response(TimeOffSerializer(days_off).data, status=status.HTTP_201_CREATED)


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Installation and repair visits. ``POST`` books one (auto-assigned; 409
    ``no_technician`` with ``suggested_slots`` when nobody fits). A
    technician moves along and completes their own visits only (403 on a
    colleague's); dispatchers (support, admin) any of the tenant's
    (``selectors.may_act``); another tenant's visit is 404."""

    queryset = Appointment.objects.select_related("ticket", "technician").prefetch_related("photos")
    serializer_class = AppointmentSerializer
    required_perms = {
        "list": ("tickets.view_appointment",),
        "retrieve": ("tickets.view_appointment",),
        # Booking opens the ticket it carries out when none is given.
        "create": ("tickets.add_appointment",),
        "suggest_slots": ("tickets.view_appointment", "tickets.view_technician"),
        "transition": ("tickets.change_appointment",),
        "reschedule": ("tickets.change_appointment",),
        "complete": ("tickets.change_appointment", "tickets.add_appointmentphoto"),
    }
    filterset_fields = ["technician", "state", "kind", "customer", "ticket"]

    def acted_on(self) -> Appointment:
        """The visit of a detail action, when the user may act on it."""
        visit: Appointment = self.get_object()
        if not selectors.may_act(self.request.user, visit.technician):
            raise PermissionDenied("this visit is another technician's")
        return visit

    def get_queryset(self) -> QuerySet[Appointment]:
        queryset = super().get_queryset().order_by("starts_at", "id")
        day = self.request.query_params.get("date")
        if day and self.action == "list":
            try:
                local = dt.date.fromisoformat(day)
            except ValueError:
                raise InvalidInput(f"'{day}' is not a date (YYYY-MM-DD)", field="date") from None
            tenant = getattr(self.request.user, "tenant", None)
            if tenant is not None:
                queryset = selectors.on_day(queryset, tenant, local)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, description="Tenant-local day (YYYY-MM-DD)."),
            OpenApiParameter("state", str, enum=AppointmentState.values),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=BookInputSerializer, responses={201: AppointmentSerializer})
    def create(self, request: Request) -> Response:
        booked = services.book_appointment(
            tenant=self.tenant, actor=request.user, **self.validated(BookInputSerializer)
        )
        return Response(AppointmentSerializer(booked).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SuggestInputSerializer, responses=SlotSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="suggest-slots", filter_backends=[])
    def suggest_slots(self, request: Request) -> Response:
        """The next free slots for a visit, earliest first (reads only)."""
        slots = services.suggest_slots(tenant=self.tenant, **self.validated(SuggestInputSerializer))
        return Response(SlotSerializer(slots, many=True).data)

    @extend_schema(request=AppointmentTransitionInputSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: Any = None) -> Response:
        """``set_out``, ``arrive``, ``fail`` (with a reason) or ``cancel``."""
        moved = services.transition_appointment(
            appointment=self.acted_on(),
            actor=request.user,
            **self.validated(AppointmentTransitionInputSerializer),
        )
        return Response(AppointmentSerializer(moved).data)

    @extend_schema(request=RescheduleInputSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reschedule(self, request: Request, pk: Any = None) -> Response:
        """Move a scheduled visit to ``starts_at``; a dispatcher may also
        hand it to another ``technician`` (403 for a technician). 409
        ``no_technician`` with ``suggested_slots`` when they are not free."""
        visit = self.acted_on()
        values = self.validated(RescheduleInputSerializer)
        other = values.get("technician")
        handed_on = other is not None and other.pk != visit.technician_id
        if handed_on and not request.user.has_perm(selectors.DISPATCH_PERM):
            raise PermissionDenied("only a dispatcher hands a visit to another technician")
        moved = services.reschedule_appointment(
            appointment=visit, actor=request.user, starts_at=values["starts_at"], technician=other
        )
        return Response(AppointmentSerializer(moved).data)

    @extend_schema(request=CompleteInputSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request: Request, pk: Any = None) -> Response:
        """Complete an on-site visit with notes, serials and photos (multipart);
        a photo over the tenant's attachment limits is a 400 naming ``photos``."""
        visit = self.acted_on()
        values = self.validated(CompleteInputSerializer)
        done = services.complete_appointment(
            appointment=visit,
            actor=request.user,
            notes=values.get("notes", ""),
            serials=values.get("serials"),
            photos=values.get("photos", []),
        )
        return Response(AppointmentSerializer(done).data)
