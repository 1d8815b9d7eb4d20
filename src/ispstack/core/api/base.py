"""Base viewset (every query scoped to the user's tenant, writes through
services) and the request/response helpers several apps' APIs share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from ispstack.core.api.idempotency import IdempotentMixin
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant


class TenantViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """A viewset over a tenant-scoped model.

    ``get_queryset`` returns only the user's tenant's rows, so another
    tenant's object answers 404, for reads and writes alike. Every POST
    honours the ``Idempotency-Key`` header (``core.api.idempotency``).
    """

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]

    def validated(self, serializer: type[Serializer], *, partial: bool = False) -> dict[str, Any]:
        """The request body checked by ``serializer`` (an input serializer of
        ``core.api.fields``), as keyword arguments for a service.

        Raises DRF's ValidationError (a 400 naming the field) on bad input.
        """
        params = serializer(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        params.is_valid(raise_exception=True)
        return dict(params.validated_data)

    @property
    def tenant(self) -> Tenant:
        """The tenant writes go to; platform users without a tenant can't write."""
        tenant = getattr(self.request.user, "tenant", None)
        if tenant is None:
            raise PermissionDenied("writes need a user that belongs to a tenant")
        return tenant


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """``content`` (PDF bytes) as a download named ``filename``."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def date_param(request: Request, name: str, default: dt.date) -> dt.date:
    """The query parameter ``name`` as an ISO 8601 date (YYYY-MM-DD), or ``default``
    when absent or empty.

    Raises InvalidInput (field ``name``) when it is not a date.
    """
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date (YYYY-MM-DD)", field=name) from None


def input_fields(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The ``allowed`` fields of a JSON object body, as keyword arguments for a
    service; other keys are dropped.

    Raises InvalidInput (no field) when the body is not an object (a list).
    """
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "items"):
        raise InvalidInput("the body must be a JSON object", field=None)
    return {k: v for k, v in data.items() if k in allowed}
