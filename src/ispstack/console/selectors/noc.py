"""Reads of the NOC screens: online sessions with their rates, why a login
fails, the CoA log and the NAS list.

FreeRADIUS writes radacct and radpostauth without a tenant; a row belongs to
the tenant of the subscription with the same User-Name (usernames are unique
across tenants), as the admin scopes them. Every function taking ``user``
keeps to the rows that user may see (``core.tenancy.scope``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from ispstack.core import clock
from ispstack.core.tenancy import is_platform, scope
from ispstack.network.models import Nas
from ispstack.radius import selectors as radius_selectors
from ispstack.radius.coa import error_cause_label
from ispstack.radius.models import AccessBlock, RadAcct, RadCheck, RadPostAuth, RateOverride
from ispstack.radius.sessions import DEFAULT_INTERVAL
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.usage.selectors import cap_status

#: A NAS is "silent" after this many interim intervals without accounting.
SILENT_AFTER_INTERVALS = 2
#: Password check items: their values are never shown (core.secrets).
PASSWORD_ATTRIBUTES = {
    "Cleartext-Password",
    "User-Password",
    "Password",
    "Crypt-Password",
    "MD5-Password",
    "SHA-Password",
    "NT-Password",
    "LM-Password",
}
SET = "(set)"


def by_username(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Rows of a FreeRADIUS-written table (radacct, radpostauth) that ``user``
    may see: those whose username is one of the user's tenant's subscriptions
    (every row for the platform operator, none for a user without a tenant)."""
    if is_platform(user):
        return queryset
    names = scope(Subscription.objects.all(), user).values("username")
    return queryset.filter(username__in=names)


# Sessions ------------------------------------------------------------------


@dataclass
class Rate:
    """Average bit rates over an interval: ``upload_bps`` is what the subscriber
    sent (Acct-Input), ``download_bps`` what it received (Acct-Output)."""

    upload_bps: float
    download_bps: float
    seconds: float


def session_rate(session: Any) -> Rate | None:
    """The rate of ``session`` over its last interim interval, in bit/s.

    FreeRADIUS overwrites radacct's counters at each update; the trigger of
    radius migration 0011 keeps the counters from before the latest update
    (``prev*``). With the octet counters already including their gigawords
    (the stock queries store ``Gigawords << 32 | Octets``, RFC 2869 5.1/5.2):

        rate = (octets - prev_octets) * 8 / (acctupdatetime - prevupdatetime)

    Before the second update (no previous counters), the previous point is
    the session's start with zero octets: the average since the start. None
    for a closed session, one without an update yet, or when the counters
    went backwards (a NAS that restarted its counters).
    """
    if session.acctstoptime is not None or session.acctupdatetime is None:
        return None
    if session.prevupdatetime is not None and session.prevupdatetime < session.acctupdatetime:
        since = session.prevupdatetime
        base_in, base_out = session.previnputoctets or 0, session.prevoutputoctets or 0
    elif session.acctstarttime is not None and session.acctstarttime < session.acctupdatetime:
        since, base_in, base_out = session.acctstarttime, 0, 0
    else:
        return None
    seconds = (session.acctupdatetime - since).total_seconds()
    sent = (session.acctinputoctets or 0) - base_in
    received = (session.acctoutputoctets or 0) - base_out
    if sent < 0 or received < 0:
        return None
    return Rate(upload_bps=sent * 8 / seconds, download_bps=received * 8 / seconds, seconds=seconds)


def bit_rate(bps: float | None) -> str:
    """A rate as operators read it: ``850 kbit/s``, ``12.3 Mbit/s``, ``1.05 Gbit/s``."""
    if bps is None:
        return ""
    for unit, size in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= size:
            value = bps / size
            return f"{value:.3g}\u00a0{unit}" if value < 100 else f"{value:.0f}\u00a0{unit}"
    return f"{bps:.0f}\u00a0bit/s"


def uptime(session: Any, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long ``session`` has lasted: until now while open, until its stop
    once closed (``acctsessiontime`` when the NAS reported it)."""
    if session.acctstarttime is None:
        return None
    if session.acctstoptime is None:
        return max((now or clock.now()) - session.acctstarttime, dt.timedelta(0))
    if session.acctsessiontime is not None:
        return dt.timedelta(seconds=session.acctsessiontime)
    return session.acctstoptime - session.acctstarttime


def sessions(user: Any) -> QuerySet[RadAcct]:
    """Accounting sessions ``user`` may see, newest first by ``radacctid``
    (the primary key: keyset pagination with ``radacctid < cursor``)."""
    return by_username(RadAcct.objects.all(), user).order_by("-radacctid")


def decorate_sessions(rows: list[RadAcct], user: Any) -> list[RadAcct]:
    """Attach to each session (in place, two queries for the whole page):
    ``subscription`` (with its customer, or None), ``nas`` (the registered
    NAS with that address, or None), ``rate`` (``session_rate``) and
    ``uptime`` and ``silent_for`` (``_silent_for``)."""
    names = {row.username for row in rows if row.username}
    subs = {
        sub.username: sub
        for sub in scope(Subscription.objects.all(), user)
        .filter(username__in=names)
        .select_related("customer")
    }
    addresses = {str(row.nasipaddress) for row in rows}
    nas = {n.nasname: n for n in scope(Nas.objects.all(), user).filter(nasname__in=addresses)}
    now = clock.now()
    for row in rows:
        row.subscription = subs.get(row.username or "")  # type: ignore[attr-defined]
        row.nas = nas.get(str(row.nasipaddress))  # type: ignore[attr-defined]
        row.rate = session_rate(row)  # type: ignore[attr-defined]
        row.silent_for = _silent_for(row, now)  # type: ignore[attr-defined]
        row.uptime = uptime(row, now)  # type: ignore[attr-defined]
    return rows


def _silent_for(session: Any, now: dt.datetime) -> dt.timedelta | None:
    """How long an open session has sent no accounting, when that is more
    than ``SILENT_AFTER_INTERVALS`` of its interim intervals (its rate is
    then old news), else None."""
    last = session.acctupdatetime or session.acctstarttime
    if session.acctstoptime is not None or last is None:
        return None
    interval = session.acctinterval or DEFAULT_INTERVAL.total_seconds()
    silent = now - last
    return silent if silent > dt.timedelta(seconds=SILENT_AFTER_INTERVALS * interval) else None


# NAS ---------------------------------------------------------------------


def nas_list(user: Any) -> list[Nas]:
    """The NAS ``user`` may see, by name, each with ``last_seen`` (the latest
    accounting start or update from its address, or None), ``online`` (open
    sessions), ``interval`` (seconds, the longest interim interval its open
    sessions report, default 5 min) and ``silent_for`` (a timedelta when no
    accounting came for ``SILENT_AFTER_INTERVALS`` intervals, else None).
    Two queries, whatever the number of NAS."""
    rows = list(scope(Nas.objects.all(), user).order_by("shortname", "id"))
    addresses = [n.nasname for n in rows if _is_address(n.nasname)]
    stats: dict[str, dict[str, Any]] = {
        str(s["nasipaddress"]): dict(s)
        for s in RadAcct.objects.filter(nasipaddress__in=addresses)
        .values("nasipaddress")
        .annotate(
            last_seen=Max(Greatest("acctupdatetime", "acctstarttime")),
            online=Count("radacctid", filter=Q(acctstoptime__isnull=True)),
            interval=Max("acctinterval", filter=Q(acctstoptime__isnull=True)),
        )
        .order_by()
    }
    now = clock.now()
    for nas in rows:
        found = stats.get(nas.nasname, {})
        nas.last_seen = found.get("last_seen")  # type: ignore[attr-defined]
        nas.online = found.get("online", 0)  # type: ignore[attr-defined]
        seconds = found.get("interval") or DEFAULT_INTERVAL.total_seconds()
        nas.interval = seconds  # type: ignore[attr-defined]
        silent = now - nas.last_seen if nas.last_seen else None  # type: ignore[attr-defined]
        limit = dt.timedelta(seconds=SILENT_AFTER_INTERVALS * seconds)
        nas.silent_for = silent if silent is not None and silent > limit else None  # type: ignore[attr-defined]
    return rows


def _is_address(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# CoA ---------------------------------------------------------------------


def coa_error(error: str) -> str:
    """The error of a CoA request as the NOC reads it: an Error-Cause as its
    RFC 5176 number and name (``503 Session-Context-Not-Found``), any other
    text (a timeout) as it is."""
    return error_cause_label(error)


# Why a login fails ---------------------------------------------------------


@dataclass
class Diagnosis:
    """One finding about a login: ``level`` is ``bad`` (it explains a
    rejection), ``warn`` (it limits the service) or ``ok``."""

    level: str
    text: str


@dataclass
class LoginReport:
    """What the "why a login fails" page shows for one username."""

    username: str
    subscription: Subscription | None
    attempts: list[RadPostAuth] = field(default_factory=list)
    check: list[tuple[str, str, str]] = field(default_factory=list)
    reply: dict[str, list[str]] = field(default_factory=dict)
    diagnoses: list[Diagnosis] = field(default_factory=list)


#: How many login attempts the page lists.
ATTEMPTS = 20


def login_report(username: str, user: Any) -> LoginReport:
    """Why ``username`` cannot log in, as far as the user may see: the last
    ``ATTEMPTS`` radpostauth rows, the radcheck items (passwords as
    ``(set)``), the reply FreeRADIUS builds (``radius.selectors.effective_reply``)
    and the diagnoses, in plain language. Bounded queries."""
    sub = (
        scope(Subscription.objects.all(), user)
        .select_related("plan", "tenant", "customer", "nas")
        .filter(username__iexact=username)
        .first()
    )
    report = LoginReport(username=username, subscription=sub)
    name = sub.username if sub else username
    names = {name, username}
    attempts = RadPostAuth.objects.filter(username__in=names).order_by("-authdate", "-id")
    if sub is None and not is_platform(user):
        attempts = attempts.none()
    report.attempts = list(attempts[:ATTEMPTS])
    check_rows = list(
        scope(RadCheck.objects.all(), user)
        .filter(username=name)
        .order_by("id")
        .values_list("attribute", "op", "value")
    )
    password = next((v for a, _op, v in check_rows if a == "Cleartext-Password"), None)
    report.check = [
        (a, op, SET if a in PASSWORD_ATTRIBUTES or a.endswith("-Password") else v)
        for a, op, v in check_rows
    ]
    if sub is not None or is_platform(user):
        report.reply = radius_selectors.effective_reply(name)
    report.diagnoses = _diagnose(report, check_rows, password, user)
    return report


def _diagnose(
    report: LoginReport, check_rows: list[tuple[str, str, str]], password: str | None, user: Any
) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    sub = report.subscription
    if sub is None:
        found.append(Diagnosis("bad", _("No subscription has this username.")))
    if not check_rows:
        found.append(
            Diagnosis(
                "bad",
                _(
                    "Unknown username for FreeRADIUS: it has no password for it (no radcheck "
                    "row), so every login is rejected."
                ),
            )
        )
    if sub is not None:
        found.extend(_status_findings(sub, check_rows))
        found.extend(_cap_findings(sub))
        found.extend(_nas_findings(sub, user))
    rejects = [a for a in report.attempts if (a.reply or "").endswith("Reject")]
    last_reject = rejects[0] if rejects else None
    if last_reject is not None and password is not None and _wrong_password(last_reject, password):
        found.append(
            Diagnosis(
                "bad",
                _(
                    "Wrong password: the last rejected attempt used a password different "
                    "from the one set for this subscription."
                ),
            )
        )
    if not report.attempts and sub is not None:
        found.append(
            Diagnosis(
                "warn",
                _(
                    "FreeRADIUS recorded no login attempt for this username: the request never "
                    "reached it, or came from a NAS it does not know (it ignores those)."
                ),
            )
        )
    accepted = bool(report.attempts) and (report.attempts[0].reply or "").endswith("Accept")
    if accepted and not any(d.level == "bad" for d in found):
        found.append(Diagnosis("ok", _("The last login was accepted.")))
    return found


def _wrong_password(attempt: RadPostAuth, password: str) -> bool:
    """Whether a rejected attempt's password differs from the one set. The stock
    post-auth query stores the User-Password of a PAP login as typed; a CHAP
    login stores the hashed Chap-Password (``0x...``), which cannot be
    compared, so it never counts as wrong here."""
    given = attempt.password
    if not given or given.startswith("0x"):
        return False
    return given != password


def _status_findings(sub: Subscription, check_rows: list[tuple[str, str, str]]) -> list[Diagnosis]:
    found = []
    rejected = any(a == "Auth-Type" and v == "Reject" for a, _op, v in check_rows)
    today = clock.today(sub.tenant)
    if sub.status == SubscriptionStatus.SUSPENDED:
        if rejected:
            text = _("Subscription suspended: logins are rejected with “Account suspended”.")
        else:
            text = _(
                "Subscription suspended: logins are accepted into the walled garden "
                "(the router lets the subscriber reach the payment page only)."
            )
        found.append(Diagnosis("bad", text))
    elif sub.status == SubscriptionStatus.PENDING:
        found.append(
            Diagnosis("bad", _("Subscription not activated yet: FreeRADIUS has no rows for it."))
        )
    if sub.status == SubscriptionStatus.TERMINATED or (sub.end_date and sub.end_date < today):
        ended = sub.end_date.isoformat() if sub.end_date else ""
        found.append(
            Diagnosis("bad", _("Expired: the service ended %(day)s.") % {"day": ended or "—"})
        )
    return found


def _cap_findings(sub: Subscription) -> list[Diagnosis]:
    status = cap_status(sub, clock.today(sub.tenant))
    found = []
    block = AccessBlock.objects.filter(username=sub.username).values_list("reason", flat=True)
    for reason in block:
        found.append(Diagnosis("bad", _("Logins refused: %(reason)s.") % {"reason": reason}))
    limit = status["allowance_bytes"]
    if limit is not None and status["used_bytes"] >= limit:
        found.append(
            Diagnosis(
                "bad" if status["restriction"] == "blocked" else "warn",
                _("Data cap used up this cycle (%(policy)s).") % {"policy": status["cap_policy"]},
            )
        )
    if RateOverride.objects.filter(username=sub.username).exists():
        found.append(Diagnosis("warn", _("Speed limited by fair use (a rate override).")))
    return found


def _nas_findings(sub: Subscription, user: Any) -> list[Diagnosis]:
    last = (
        RadAcct.objects.filter(username=sub.username)
        .order_by("-radacctid")
        .values_list("nasipaddress", flat=True)
        .first()
    )
    if last is None:
        return []
    known = Nas.objects.filter(tenant_id=sub.tenant_id, nasname=str(last)).exists()
    if known:
        return []
    return [
        Diagnosis(
            "bad",
            _(
                "NAS not registered: the last session came from %(address)s, which is not a "
                "NAS of this ISP; FreeRADIUS ignores its requests and CoA cannot reach it."
            )
            % {"address": last},
        )
    ]
