"""Database constraint violations as typed service errors."""

from __future__ import annotations

from django.db import IntegrityError

from ispstack.core.errors import Conflict, ServiceError


def conflict_from_integrity_error(exc: IntegrityError) -> ServiceError:
    """A Conflict (409) for a violated constraint, naming the constraint."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None) or "a database constraint"
    return Conflict(f"the change breaks {name}")
