"""Typed errors raised by services.

Every error names the field at fault (when there is one) and the rule that
was broken, so the API, the admin and the CLI can show it as it is. A service
raises before it writes, or inside the transaction that it then rolls back:
an error never leaves anything half-written.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every business error. ``field`` is the input field at fault or None."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        """The error as the API returns it: ``{"code", "field", "detail"}``."""
        return {"code": self.code, "field": self.field, "detail": self.message}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(ServiceError):
    """The input breaks a rule (negative amount, billing day 32, bad CIDR...)."""


class NotFound(ServiceError):
    """A referenced object does not exist within the caller's tenant."""

    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    """The input clashes with existing state (a username taken, a pool exhausted)."""

    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    """A lifecycle transition that the current state does not allow."""

    code = "invalid_transition"
