"""Every API error answers one shape: ``{"code", "field", "detail"}``.

``code`` is a stable machine word (``invalid``, ``required``, ``not_found``,
``conflict``, ``parse_error``, ``not_authenticated``, ``permission_denied``,
``method_not_allowed``, ``unsupported_media_type``, ``throttled`` ...),
``field`` the input field at fault as a path (``lines[1].amount``) or null,
``detail`` the rule in words. Service errors (``core.errors``), DRF's own
parse and validation errors, Django's ``Http404`` / ``PermissionDenied`` /
``ValidationError`` and the database's constraint and range errors all come
out in it, so a client needs one error parser.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from ispstack.core.errors import ServiceError
from ispstack.core.integrity import conflict_from_integrity_error

logger = logging.getLogger("ispstack.api")

# DRF codes of validation failures that mean "this field is missing".
_REQUIRED_CODES = {"required", "null", "blank"}


def error_body(code: str, field: str | None, detail: str) -> dict[str, str | None]:
    """The documented error object."""
    return {"code": code, "field": field, "detail": detail}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler hook: map ``exc`` to a response in the one shape.

    Returns None (a server error) only for exceptions that are bugs.
    """
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, IntegrityError):
        error = conflict_from_integrity_error(exc)
        return Response(error.as_dict(), status=error.status_code)
    if isinstance(exc, DataError):
        # A value that a service should have refused reached PostgreSQL: the
        # request is still the client's fault, but the missing check is ours.
        logger.warning("database refused a value: %s", exc)
        body = error_body("invalid", None, "a value is out of range or malformed for its field")
        return Response(body, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.ValidationError):
        field, message, first_code = first_error(exc.detail)
        if first_code == "does_not_exist":
            # A well-formed id that is not the tenant's reads as unknown, as the
            # services answer it (NotFound).
            return Response(error_body("not_found", field, message), status=404, headers=headers)
        kind = "required" if first_code in _REQUIRED_CODES else "invalid"
        return Response(error_body(kind, field, message), status=exc.status_code, headers=headers)
    codes = exc.get_codes()
    body = error_body(
        codes if isinstance(codes, str) else exc.default_code, None, _text(exc.detail)
    )
    return Response(body, status=exc.status_code, headers=headers)


def first_error(detail: Any, path: str = "") -> tuple[str | None, str, str]:
    """The first error of a DRF validation ``detail`` tree as (field path, message, code)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                child = path or None
                _field, message, code = first_error(value, path)
                return child, message, code
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                # DRF keys the errors of a list's items by index: lines[2].amount.
                return first_error(value, f"{path}[{key}]")
            return first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(detail, list):
        for index, item in enumerate(detail):
            if item in ({}, [], None):
                continue
            if isinstance(item, dict | list) and path:
                return first_error(item, f"{path}[{index}]")
            return first_error(item, path)
    return (path or None), str(detail), str(getattr(detail, "code", "invalid"))


def _text(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_text(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_text(item) for item in detail)
    return str(detail)
