"""Base viewset (every query scoped to the user's tenant, writes through
services) and the request/response helpers several apps' APIs share."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpResponse
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from ispstack.core.api.idempotency import IdempotentMixin
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import Tenant
from ispstack.core.tenancy import scope

# The actions DRF's router routes when a viewset has the method of that name.
STANDARD_ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")


class TenantViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """A viewset over a tenant-scoped model.

    ``get_queryset`` returns only the user's tenant's rows, so another
    tenant's object answers 404, for reads and writes alike. Every POST
    honours the ``Idempotency-Key`` header (``core.api.idempotency``).

    ``required_perms`` maps every action the viewset serves (its standard
    actions and its ``@action`` methods, by method name) to the model
    permissions (``app_label.codename``) a user needs, all of them, checked by
    ``core.api.permissions.ActionPermissions``. Name the model each action reads
    or writes: an action that reads invoices and payments names both. A
    subclass that serves an action it does not declare, or declares one it
    does not serve, is refused when the class is created.
    """

    required_perms: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        served = {name for name in STANDARD_ACTIONS if hasattr(cls, name)}
        served |= {action.__name__ for action in cls.get_extra_actions()}
        declared = set(cls.required_perms)
        if served != declared:
            raise ImproperlyConfigured(
                f"{cls.__qualname__}.required_perms must declare exactly its actions: "
                f"undeclared {sorted(served - declared)}, not served {sorted(declared - served)}"
            )
        for action, perms in cls.required_perms.items():
            if not perms or any(not isinstance(p, str) or p.count(".") != 1 for p in perms):
                raise ImproperlyConfigured(
                    f"{cls.__qualname__}.required_perms[{action!r}] must be "
                    "app_label.codename strings, at least one"
                )

    def get_queryset(self) -> QuerySet[Any]:
        return scope(super().get_queryset(), self.request.user)

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

    def read_tenant(self) -> Tenant:
        """The tenant a read across its rows (a report, an export) is of: the
        user's, or for the platform operator the one whose slug ``?tenant`` names.

        Raises InvalidInput (field ``tenant``) when the operator names none,
        NotFound when no tenant has that slug."""
        own = getattr(self.request.user, "tenant", None)
        if own is not None:
            return own
        slug = self.request.query_params.get("tenant", "").strip()
        if not slug:
            raise InvalidInput("the platform operator names the tenant's slug", field="tenant")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise NotFound("no such tenant", field="tenant")
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
