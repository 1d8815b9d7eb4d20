"""Reads of the notifications app: a customer's notice preferences."""

from __future__ import annotations

from typing import Literal

from ispstack.notifications.models import NotificationKind, NotificationPreference

Channel = Literal["email", "sms"]


def preferences_of(customer_id: int) -> dict[str, dict[str, bool]]:
    """``{kind: {"email": bool, "sms": bool}}`` for every ``NotificationKind``
    of the customer (one query); a kind without a stored row is on for both
    channels."""
    chosen = {
        kind: {"email": email, "sms": sms}
        for kind, email, sms in NotificationPreference.objects.filter(
            customer_id=customer_id
        ).values_list("kind", "email", "sms")
    }
    return {
        kind: chosen.get(kind, {"email": True, "sms": True}) for kind in NotificationKind.values
    }


def allows(customer_id: int | None, kind: str, channel: Channel) -> bool:
    """Whether a notice of ``kind`` may go to the customer by ``channel``.

    Always True without a customer or without a kind: a message that names
    no kind is one the customer cannot switch off (a password reset or
    portal invitation link, an acknowledgement, a credit note). Raises
    ValueError for a kind that is not a ``NotificationKind`` (a caller's
    mistake, never input)."""
    if not kind or customer_id is None:
        return True
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    row = (
        NotificationPreference.objects.filter(customer_id=customer_id, kind=kind)
        .values_list(channel, flat=True)
        .first()
    )
    return True if row is None else bool(row)
