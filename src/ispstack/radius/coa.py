"""Change of Authorization and Disconnect (RFC 5176), sent with pyrad from
the outbox after commit, so a suspension takes effect on the open session
now instead of at its next login.

For each open accounting session of the user (radacct with no stop time),
the request goes to the session's NAS (found by its address among the NAS
of the job's tenant; none there is recorded as ``no_nas``) at its CoA port
with the NAS's shared secret. An ACK is recorded; a NAK is recorded with its
Error-Cause and not retried (e.g. Session-Context-Not-Found: the session is
gone); a timeout raises, so the outbox retries with backoff. Some NAS ACK a
Disconnect but keep the session; the accounting Stop is the proof, checked
``RADIUS_DISCONNECT_VERIFY_SECONDS`` after each ACK (``verify_disconnect``).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models.functions import Lower

from ispstack.core import clock, events, outbox
from ispstack.core.models import Job, Tenant, User
from ispstack.core.outbox import handler
from ispstack.network.models import Nas
from ispstack.radius.attributes import NasType, rate_attributes
from ispstack.radius.events import CoaFailed
from ispstack.radius.models import CoaRequest, RadAcct
from ispstack.subscriptions.models import ServiceAction, Subscription
from ispstack.subscriptions.services import record_action

DICTIONARY = Path(__file__).parent / "data" / "dictionary"
TIMEOUT_SECONDS = 3


@functools.cache
def _dictionary() -> Any:
    from pyrad.dictionary import Dictionary

    return Dictionary(str(DICTIONARY))


def error_cause_label(error: str) -> str:
    """An Error-Cause (RFC 5176 3.5) as its number and name, from the dictionary
    pyrad uses: ``"Session-Context-Not-Found"`` or ``"503"`` ->
    ``"503 Session-Context-Not-Found"``. Any other text (a timeout, a note)
    comes back unchanged."""
    text = (error or "").strip()
    by_name = _error_causes()
    if text in by_name:
        return f"{by_name[text]} {text}"
    if text.isdigit():
        names = {number: name for name, number in by_name.items()}
        if int(text) in names:
            return f"{int(text)} {names[int(text)]}"
    return text


@functools.cache
def _error_causes() -> dict[str, int]:
    """Error-Cause names and numbers of the dictionary (pyrad keeps each value
    encoded, as the 4 bytes of an integer attribute)."""
    values = _dictionary()["Error-Cause"].values.forward
    return {
        name: value if isinstance(value, int) else int.from_bytes(value, "big")
        for name, value in values.items()
    }


def _requested_by(actor: Any) -> dict[str, Any]:
    """Who asked, for the payload: a staff user's id, else a label."""
    if getattr(actor, "pk", None):
        return {"actor_id": actor.pk}
    return {"actor": actor} if isinstance(actor, str) and actor else {}


def queue_disconnect(*, tenant: Tenant, username: str, reason: str, actor: Any = None) -> None:
    """After commit, send a Disconnect-Request for every open session of
    ``username``. ``actor`` (a staff user or a label) is who asked, for the
    service action log; the job's name when None."""
    outbox.enqueue(
        tenant=tenant,
        kind="radius.disconnect",
        payload={"username": username, "reason": reason, **_requested_by(actor)},
    )


def queue_coa(
    *,
    tenant: Tenant,
    username: str,
    upload_kbps: int,
    download_kbps: int,
    reason: str = "",
    actor: Any = None,
) -> None:
    """After commit, send a CoA-Request with a new rate (kbit/s) to each open
    session, in the attributes of the session's NAS type (``rate_attributes``).
    ``reason`` and ``actor`` as for ``queue_disconnect``."""
    outbox.enqueue(
        tenant=tenant,
        kind="radius.coa",
        payload={
            "username": username,
            "upload_kbps": upload_kbps,
            "download_kbps": download_kbps,
            "reason": reason,
            **_requested_by(actor),
        },
    )


def _actor_of(job: Job) -> Any:
    """Who asked for the job's requests: the staff user, the label, or the job."""
    if job.payload.get("actor_id"):
        user = User.objects.filter(pk=job.payload["actor_id"], tenant_id=job.tenant_id).first()
        if user is not None:
            return user
    return job.payload.get("actor") or job.kind


def _log_action(log: CoaRequest, *, actor: Any, reason: str) -> None:
    """The request on its subscription's service action log: ok on an ACK,
    failed with the Error-Cause, the timeout or the missing NAS otherwise. A
    session of a User-Name no subscription of the tenant has (deleted since)
    is on the CoA log only."""
    subscription = (
        Subscription.objects.alias(key=Lower("username"))
        .filter(tenant_id=log.tenant_id, key=log.username.lower())
        .first()
    )
    if subscription is None:
        return
    acked = log.status == CoaRequest.Status.ACK and log.session_closed is not False
    record_action(
        subscription=subscription,
        action=ServiceAction.Action(log.kind),
        actor=actor,
        reason=reason,
        result=ServiceAction.Result.OK if acked else ServiceAction.Result.FAILED,
        message="" if acked else f"{log.get_status_display()}: {error_cause_label(log.error)}",
    )


def _send(
    tenant_id: int,
    nas: Nas,
    session: RadAcct,
    kind: str,
    attributes: dict[str, Any],
    attempt: int = 1,
    *,
    actor: Any,
    reason: str = "",
) -> CoaRequest:
    from pyrad import packet
    from pyrad.client import Client, Timeout

    port = nas.coa_port or settings.RADIUS_DEFAULT_COA_PORT
    client = Client(
        server=nas.nasname,
        secret=nas.secret.encode(),
        coaport=port,
        dict=_dictionary(),
        retries=1,
        timeout=TIMEOUT_SECONDS,
    )
    code = packet.DisconnectRequest if kind == CoaRequest.Kind.DISCONNECT else packet.CoARequest
    request = client.CreateCoAPacket(code=code)
    request["User-Name"] = session.username or ""
    request["Acct-Session-Id"] = session.acctsessionid
    request["NAS-IP-Address"] = str(session.nasipaddress)
    for name, value in attributes.items():
        request[name] = value
    log = CoaRequest(
        tenant_id=tenant_id,
        nas=nas,
        username=session.username or "",
        acct_session_id=session.acctsessionid,
        kind=kind,
        attributes=attributes,
    )
    try:
        reply = client.SendPacket(request)
    except Timeout:
        log.status, log.error = CoaRequest.Status.TIMEOUT, f"no answer from {nas.nasname}:{port}"
        log.save()
        _log_action(log, actor=actor, reason=reason)
        raise TimeoutError(log.error) from None
    acked = reply.code in (packet.DisconnectACK, packet.CoAACK)
    log.status = CoaRequest.Status.ACK if acked else CoaRequest.Status.NAK
    if not acked and "Error-Cause" in reply:
        log.error = str(reply["Error-Cause"][0])
    log.answered_at = clock.now()
    log.save()
    _log_action(log, actor=actor, reason=reason)
    if not acked:
        _failed(log)
    if acked and kind == CoaRequest.Kind.DISCONNECT:
        _verify_later(log, attempt)
    return log


def _failed(log: CoaRequest) -> None:
    events.publish(
        CoaFailed(
            tenant_id=log.tenant_id,
            coa_request_id=log.pk,
            username=log.username,
            kind=log.kind,
            acct_session_id=log.acct_session_id,
            error=log.error,
        )
    )


def _verify_later(log: CoaRequest, attempt: int) -> None:
    outbox.enqueue(
        tenant=log.tenant,
        kind="radius.verify_disconnect",
        payload={"coa_request": log.pk, "attempt": attempt},
        not_before=clock.now() + dt.timedelta(seconds=settings.RADIUS_DISCONNECT_VERIFY_SECONDS),
    )


@handler("radius.verify_disconnect")
def verify_disconnect(job: Job) -> None:
    """Outbox handler, some time after a Disconnect-ACK: some NAS acknowledge a
    Disconnect and keep the session. The accounting Stop is the
    proof; while the session is still open the Disconnect is sent again, up to
    ``RADIUS_DISCONNECT_ATTEMPTS``, then the request is marked
    ``session_closed = False`` for the NOC (admin filter)."""
    log = CoaRequest.objects.select_related("nas").get(pk=job.payload["coa_request"])
    session = RadAcct.objects.filter(
        username=log.username, acctsessionid=log.acct_session_id, acctstoptime__isnull=True
    ).first()
    if session is None:
        log.session_closed = True
        log.save(update_fields=["session_closed"])
        return
    attempt = int(job.payload.get("attempt", 1))
    if attempt >= settings.RADIUS_DISCONNECT_ATTEMPTS or log.nas is None:
        log.session_closed = False
        log.error = f"ACK but the session stayed open after {attempt} Disconnect-Request(s)"
        log.save(update_fields=["session_closed", "error"])
        _log_action(log, actor=job.kind, reason="the session stayed open after a Disconnect-ACK")
        _failed(log)
        return
    log.session_closed = False
    log.save(update_fields=["session_closed"])
    _send(
        log.tenant_id,
        log.nas,
        session,
        CoaRequest.Kind.DISCONNECT,
        {},
        attempt + 1,
        actor=job.kind,
        reason="the session stayed open after a Disconnect-ACK",
    )


def _attributes(job: Job, nas: Nas | None) -> dict[str, Any]:
    if "upload_kbps" not in job.payload:
        return {}
    up, down = job.payload["upload_kbps"], job.payload["download_kbps"]
    return dict(rate_attributes(nas.type if nas else NasType.OTHER, up, down))


def _each_session(job: Job, kind: str) -> None:
    username = job.payload["username"]
    reason = str(job.payload.get("reason", ""))
    actor = _actor_of(job)
    sessions = RadAcct.objects.filter(username=username, acctstoptime__isnull=True)
    failures = []
    for session in sessions:
        # Only a NAS of the job's tenant: the request carries that NAS's
        # secret and acts on that tenant's subscriber.
        nas = Nas.objects.filter(tenant_id=job.tenant_id, nasname=str(session.nasipaddress)).first()
        attributes = _attributes(job, nas)
        if nas is None:
            log = CoaRequest.objects.create(
                tenant_id=job.tenant_id,
                username=username,
                kind=kind,
                acct_session_id=session.acctsessionid,
                attributes=attributes,
                status=CoaRequest.Status.NO_NAS,
                error=f"no NAS of this ISP registered for {session.nasipaddress}",
            )
            _log_action(log, actor=actor, reason=reason)
            continue
        try:
            _send(job.tenant_id, nas, session, kind, attributes, actor=actor, reason=reason)
        except TimeoutError as exc:
            failures.append(str(exc))
    if failures:
        raise TimeoutError("; ".join(failures))


@handler("radius.disconnect")
def send_disconnect(job: Job) -> None:
    """Outbox handler: Disconnect-Request to the NAS of each open session."""
    _each_session(job, CoaRequest.Kind.DISCONNECT)


@handler("radius.coa")
def send_coa(job: Job) -> None:
    """Outbox handler: CoA-Request with the new rate to each open session's NAS."""
    _each_session(job, CoaRequest.Kind.COA)
