"""Reads on the RADIUS tables for support and the API."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.db.models.functions import Lower

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.radius.models import (
    AccountingColumns,
    CoaRequest,
    RadAcct,
    RadAcctArchive,
    RadGroupReply,
    RadiusSettings,
    RadPostAuth,
    RadReply,
    RadUserGroup,
)
from ispstack.subscriptions.models import Subscription


def sessions_of(subscription: Subscription) -> QuerySet[RadAcct]:
    """Accounting sessions of a subscription, newest first."""
    return RadAcct.objects.filter(username=subscription.username).order_by("-acctstarttime")


def session_history(subscription: Subscription, limit: int = 100) -> list[AccountingColumns]:
    """Up to ``limit`` sessions, newest first: radacct's, then the archive's."""
    recent: list[AccountingColumns] = list(sessions_of(subscription)[:limit])
    if len(recent) < limit:
        archived = RadAcctArchive.objects.filter(username=subscription.username).order_by(
            "-acctstarttime"
        )
        recent.extend(archived[: limit - len(recent)])
    return recent


def open_session(subscription: Subscription) -> RadAcct | None:
    """The subscription's session that has no stop time yet, if any."""
    return sessions_of(subscription).filter(acctstoptime__isnull=True).first()


def auth_attempts(subscription: Subscription) -> QuerySet[RadPostAuth]:
    """Login attempts (Access-Accept / Access-Reject) of a subscription, newest first."""
    return RadPostAuth.objects.filter(username=subscription.username).order_by("-authdate")


def _merge(reply: dict[str, list[str]], op: str, attribute: str, value: str) -> None:
    if op == ":=":
        reply[attribute] = [value]
    elif op == "+=":
        reply.setdefault(attribute, []).append(value)
    elif op == "=" and attribute not in reply:
        reply[attribute] = [value]


def effective_reply(username: str) -> dict[str, list[str]]:
    """The reply attributes FreeRADIUS's rlm_sql builds for ``username`` from
    our tables, as ``{attribute: [values]}``: radreply first, then the
    radgroupreply of each radusergroup group by priority, with the RADIUS
    operators ``:=`` (replace), ``=`` (add when absent) and ``+=`` (append).
    What support reads to see what a subscriber's NAS is told."""
    reply: dict[str, list[str]] = {}
    for op, attribute, value in RadReply.objects.filter(username=username).values_list(
        "op", "attribute", "value"
    ):
        _merge(reply, op, attribute, value)
    groups = list(
        RadUserGroup.objects.filter(username=username)
        .order_by("priority", "id")
        .values_list("groupname", flat=True)
    )
    rows = RadGroupReply.objects.filter(groupname__in=groups).order_by("id")
    by_group: dict[str, list[tuple[str, str, str]]] = {}
    for group, op, attribute, value in rows.values_list("groupname", "op", "attribute", "value"):
        by_group.setdefault(group, []).append((op, attribute, value))
    for group in groups:
        for op, attribute, value in by_group.get(group, []):
            _merge(reply, op, attribute, value)
    return reply


COA_FAILURE_WINDOW = dt.timedelta(hours=24)
"""CoA and Disconnect failures count over the last day (as ``/metrics`` does)."""


def open_session_count(subscriptions: QuerySet[Subscription]) -> int:
    """Open radacct sessions (no ``acctstoptime``) of the User-Names of
    ``subscriptions`` (already scoped to the reader), ignoring case; one query.

    radacct has no tenant: a session belongs to the tenant whose
    subscription has its User-Name.
    """
    names = subscriptions.annotate(name=Lower("username")).values("name")
    return (
        RadAcct.objects.filter(acctstoptime__isnull=True)
        .alias(name=Lower("username"))
        .filter(name__in=names)
        .count()
    )


def coa_failure_count(requests: QuerySet[CoaRequest], now: dt.datetime) -> int:
    """CoA and Disconnect requests among ``requests`` (already scoped) not
    acknowledged (NAK, no answer, NAS not registered) in the
    ``COA_FAILURE_WINDOW`` before ``now``."""
    return (
        requests.filter(created_at__gte=now - COA_FAILURE_WINDOW)
        .exclude(status=CoaRequest.Status.ACK)
        .count()
    )


def settings_for(tenant: Tenant) -> RadiusSettings:
    """The RADIUS settings of ``tenant`` (one row per tenant, created with the defaults
    if missing); cached on the tenant instance, so reading it for every
    subscriber of a run costs one query."""
    return tenant_settings.settings_of(tenant, RadiusSettings)
