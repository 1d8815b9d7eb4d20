"""The OpenAPI schema's additions common to every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from ispstack.core.api.idempotency import HEADER, MAX_KEY_LENGTH, IdempotentMixin


class IspstackAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the optional ``Idempotency-Key`` header
    on every POST that honours it (see ``core.api.idempotency``)."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and isinstance(self.view, IdempotentMixin):
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        f"Up to {MAX_KEY_LENGTH} printable ASCII characters, unique per "
                        "request: a retry with the same key and body within 24 h gets the "
                        "first answer back (header Idempotent-Replayed: true) instead of "
                        "running again; the same key with another body answers 422, and "
                        "while the first request runs, 409."
                    ),
                )
            )
        return parameters
