"""The ``Idempotency-Key`` header on the API's POSTs.

A client that did not get an answer (a timeout, a dropped connection) sends
the same POST again with the same key, and gets the first answer back
instead of a second payment or sign-up. The rules follow the IETF draft
"The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header):

- the key is scoped to the authenticated user (so to one tenant): another
  user's or tenant's identical key is another key;
- the same key with the same method, path and body within ``TTL`` (24 h)
  replays the stored status and body, with ``Idempotent-Replayed: true``;
- the same key with another request is refused, 422 (field
  ``Idempotency-Key``);
- the same key while the first request still runs is refused, 409; a first
  request that has not answered within ``IN_PROGRESS_TIMEOUT`` is taken as
  crashed and the key may be used again;
- answers below 500 are stored (a 400 stays a 400 on retry); after a server
  error the key is released, so the retry runs.

Keys older than ``TTL`` are ignored and deleted by ``purge_expired`` (the
``idempotency-purge`` beat task). Only POSTs of authenticated users of a
tenant take part: anonymous POSTs (token login, the card gateway's webhook)
have their own replay rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from ispstack.core import clock
from ispstack.core.errors import Conflict, InvalidInput, ServiceError
from ispstack.core.models import IdempotencyKey, User

HEADER = "Idempotency-Key"
TTL = dt.timedelta(hours=24)
IN_PROGRESS_TIMEOUT = dt.timedelta(minutes=10)
MAX_KEY_LENGTH = 255


class Unprocessable(ServiceError):
    """The key was used for another request: 422."""

    status_code = 422
    code = "unprocessable"


class Replayed(Exception):
    """Raised from ``begin`` to answer with the stored response."""

    def __init__(self, response: Response) -> None:
        super().__init__("replayed")
        self.response = response


@dataclass
class Claim:
    """A key this request holds until ``finish`` or ``release``."""

    row_id: int


def _fingerprint(request: Request) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            digest = hashlib.sha256()
            for chunk in value.chunks():
                digest.update(chunk)
            value.seek(0)
            return {"file": value.name, "sha256": digest.hexdigest()}
        return str(value)

    data = request.data
    if hasattr(data, "lists"):
        data = {k: v for k, v in data.lists()}
    body = json.dumps(data, sort_keys=True, default=plain, cls=JSONEncoder)
    text = f"{request.method} {request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def request_key(request: Request, max_length: int = MAX_KEY_LENGTH) -> str | None:
    """The request's ``Idempotency-Key``, None without the header. Raises
    InvalidInput (field ``Idempotency-Key``) unless it is 1 to ``max_length``
    printable ASCII characters."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > max_length or not key.isascii() or not key.isprintable():
        raise InvalidInput(f"must be 1 to {max_length} printable ASCII characters", field=HEADER)
    return key


def begin(request: Request) -> Claim | None:
    """Claim the request's key before the view runs.

    Returns None when the request takes no part (no header, not a POST, no
    tenant user). Raises ``Replayed`` with the stored answer, Conflict (409)
    while the first request runs, Unprocessable (422) for another request
    under the key, InvalidInput (400) for a malformed key.
    """
    user = request.user
    tenant_id = getattr(user, "tenant_id", None)
    if request.method != "POST" or tenant_id is None or not isinstance(user, User):
        return None
    key = request_key(request)
    if key is None:
        return None
    fingerprint = _fingerprint(request)
    now = clock.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    tenant_id=tenant_id, user=user, key=key, fingerprint=fingerprint
                )
            return Claim(row.pk)
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:
            continue  # purged in between: claim again
        stale = existing.response_status is None and existing.updated_at < now - IN_PROGRESS_TIMEOUT
        if existing.created_at < now - TTL or stale:
            IdempotencyKey.objects.filter(pk=existing.pk, updated_at=existing.updated_at).delete()
            continue
        if existing.fingerprint != fingerprint:
            raise Unprocessable(
                "this key was used for another request; use a new key", field=HEADER
            )
        if existing.response_status is None:
            raise Conflict("a request with this key is still running; retry later", field=HEADER)
        response = Response(json.loads(existing.response_body), status=existing.response_status)
        response["Idempotent-Replayed"] = "true"
        raise Replayed(response)
    raise Conflict("a request with this key is still running; retry later", field=HEADER)


def finish(claim: Claim, response: Response) -> None:
    """Store the answer under the claimed key; a server error releases it."""
    if response.status_code >= 500:
        release(claim)
        return
    body = json.dumps(getattr(response, "data", None), cls=JSONEncoder)
    IdempotencyKey.objects.filter(pk=claim.row_id).update(
        response_status=response.status_code, response_body=body, updated_at=clock.now()
    )


def release(claim: Claim) -> None:
    """Forget the key (the request failed on the server's side)."""
    IdempotencyKey.objects.filter(pk=claim.row_id).delete()


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete keys older than ``TTL``; returns how many."""
    cutoff = (now or clock.now()) - TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class IdempotentMixin:
    """Viewset mixin: the ``Idempotency-Key`` rules on every POST (see the module)."""

    _idempotency: Claim | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency = begin(request)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replayed):
            return exc.response
        try:
            return super().handle_exception(exc)  # type: ignore[misc]
        except Exception:
            # A bug answers 500 outside DRF: release the key so a retry runs.
            if self._idempotency is not None:
                release(self._idempotency)
                self._idempotency = None
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        claim, self._idempotency = self._idempotency, None
        if claim is not None:
            finish(claim, response)
        return response
