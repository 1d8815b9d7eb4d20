"""Reads on the RADIUS tables for support and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from ispstack.radius.models import RadAcct, RadPostAuth
from ispstack.subscriptions.models import Subscription


def sessions_of(subscription: Subscription) -> QuerySet[RadAcct]:
    """Accounting sessions of a subscription, newest first."""
    return RadAcct.objects.filter(username=subscription.username).order_by("-acctstarttime")


def open_session(subscription: Subscription) -> RadAcct | None:
    """The subscription's session that has no stop time yet, if any."""
    return sessions_of(subscription).filter(acctstoptime__isnull=True).first()


def auth_attempts(subscription: Subscription) -> QuerySet[RadPostAuth]:
    """Login attempts (Access-Accept / Access-Reject) of a subscription, newest first."""
    return RadPostAuth.objects.filter(username=subscription.username).order_by("-authdate")
