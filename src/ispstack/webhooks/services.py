"""Writes of webhooks: endpoints, the fan-out of events into deliveries, one
delivery attempt, and a replay.

An event of the tenant (``core.events``) becomes, inside the publisher's
transaction, one ``WebhookDelivery`` per active endpoint subscribed to its
name and one outbox job per delivery: nothing is sent for a change that
rolled back, and the POST happens after commit. A failed attempt (no answer
within ``WEBHOOK_TIMEOUT_SECONDS``, or a non-2xx status) is retried by the
outbox with its exponential backoff (1 min doubling, at most 6 h) until
``WEBHOOK_MAX_ATTEMPTS``; then the delivery is ``failed`` until replayed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from ispstack.core import audit, clock, events, inputs, outbox
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Job, Tenant
from ispstack.webhooks import client
from ispstack.webhooks.models import SECRET_PREFIX, WebhookDelivery, WebhookEndpoint

DELIVER_JOB = "webhooks.deliver"
INPUT_FIELDS = ("url", "event_types", "secret", "is_active", "description")
# Standard Webhooks: secrets between 24 and 64 bytes (192 to 512 bits).
SECRET_BYTES = (24, 64)


def _secret(value: Any) -> str:
    secret = inputs.text(value, "secret")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError:
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not SECRET_BYTES[0] <= len(key) <= SECRET_BYTES[1]:
        raise InvalidInput(
            f"must be {SECRET_PREFIX} and {SECRET_BYTES[0]} to {SECRET_BYTES[1]} bytes in base64",
            field="secret",
        )
    return secret


def _clean(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    inputs.unknown_fields(data, INPUT_FIELDS)
    clean: dict[str, Any] = {}
    if "url" in data or not partial:
        clean["url"] = inputs.text(data.get("url"), "url")
        if not clean["url"]:
            raise InvalidInput("is required", field="url")
        client.check_url(clean["url"])
    if "event_types" in data or not partial:
        chosen = data.get("event_types")
        if not isinstance(chosen, list | tuple) or not chosen:
            raise InvalidInput("give a list of at least one event type", field="event_types")
        known = events.names()
        for name in chosen:
            if name not in known:
                raise InvalidInput(
                    f"'{name}' is not an event type; one of {', '.join(known)}",
                    field="event_types",
                )
        clean["event_types"] = sorted(set(chosen))
    if data.get("secret") not in (None, ""):
        clean["secret"] = _secret(data["secret"])
    if "is_active" in data:
        clean["is_active"] = inputs.flag(data["is_active"], "is_active")
    if "description" in data:
        clean["description"] = inputs.text(data["description"], "description")
    inputs.check_values(
        WebhookEndpoint, {k: v for k, v in clean.items() if k not in ("event_types", "secret")}
    )
    return clean


def check_endpoint_input(data: dict[str, Any]) -> dict[str, Any]:
    """A new endpoint's input, checked as ``create_endpoint`` does (the admin
    form's validation); returns the clean values."""
    return _clean(data, partial=False)


@transaction.atomic
def create_endpoint(*, tenant: Tenant, actor: Any = None, **data: Any) -> WebhookEndpoint:
    """Subscribe ``url`` to ``event_types`` (names from ``core.events.names()``).

    ``secret`` (``whsec_`` + base64 of 24 to 64 bytes) is generated when not
    given; it is never shown again after the answer to this call. Raises InvalidInput (``url``: not
    http(s), unresolvable, private; ``event_types``: empty or unknown).
    """
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, **_clean(data, partial=False))
    audit.record(
        tenant=tenant,
        actor=actor,
        action="webhook_endpoint.create",
        obj=endpoint,
        after={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    return endpoint


@transaction.atomic
def update_endpoint(
    *, endpoint: WebhookEndpoint, actor: Any = None, **data: Any
) -> WebhookEndpoint:
    """Change the URL, the event types, the secret (rotation), the description
    or switch the endpoint off."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = audit.snapshot(endpoint, ["url", "event_types", "is_active", "description"])
    for field, value in _clean(data, partial=True).items():
        setattr(endpoint, field, value)
    endpoint.save()
    audit.record(
        tenant=endpoint.tenant,
        actor=actor,
        action="webhook_endpoint.update",
        obj=endpoint,
        before=before,
        after=audit.snapshot(endpoint, ["url", "event_types", "is_active", "description"]),
    )
    return endpoint


def on_event(event: events.Event) -> None:
    """Event handler (in the transaction) for every event: one delivery and
    one outbox job per active endpoint of the tenant subscribed to it."""
    on_events([event])


def on_events(batch: Sequence[events.Event]) -> None:
    """``on_event`` for a list of events (``events.publish_many``): the
    endpoints read in one query, the deliveries and their jobs written in
    one INSERT each."""
    endpoints: dict[tuple[int, str], list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        tenant_id__in={event.tenant_id for event in batch},
        is_active=True,
        event_types__overlap=sorted({event.name for event in batch}),
    ):
        for name in endpoint.event_types:
            endpoints.setdefault((endpoint.tenant_id, name), []).append(endpoint)
    deliveries = [
        WebhookDelivery(
            tenant_id=event.tenant_id,
            endpoint=endpoint,
            event_id=event.id,
            event_type=event.name,
            message_id=f"msg_{event.id.replace('-', '')}_{endpoint.pk}",
            payload={
                "type": event.name,
                "timestamp": event.occurred_at.isoformat(),
                "data": {"id": event.id, **event.data()},
            },
            next_attempt_at=clock.now(),
        )
        for event in batch
        for endpoint in endpoints.get((event.tenant_id, event.name), [])
    ]
    if not deliveries:
        return
    outbox.enqueue_many(
        [
            (delivery.tenant_id, DELIVER_JOB, {"delivery_id": delivery.pk})
            for delivery in WebhookDelivery.objects.bulk_create(deliveries)
        ],
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
    )


def _queue(delivery: WebhookDelivery) -> None:
    outbox.enqueue(
        tenant=delivery.tenant_id,
        kind=DELIVER_JOB,
        payload={"delivery_id": delivery.pk},
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
    )


@outbox.handler(DELIVER_JOB)
def deliver(job: Job) -> None:
    """Outbox handler: POST the delivery's payload, signed, and record the
    answer. Raises on failure so the outbox retries with backoff; the last
    allowed attempt marks the delivery ``failed``."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=job.payload["delivery_id"])
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        return
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": client.sign(
            delivery.endpoint.secret, delivery.message_id, timestamp, body
        ),
    }
    answer = client.post(delivery.endpoint.url, body, headers)
    delivery.attempts += 1
    delivery.response_code = answer.status
    delivery.last_error = answer.error
    if answer.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = clock.now()
        delivery.next_attempt_at = None
    elif job.attempts + 1 >= job.max_attempts:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = clock.now() + outbox.backoff(job.attempts + 1)
    delivery.save()
    if not answer.ok:
        raise RuntimeError(f"webhook delivery {delivery.pk}: {answer.error}")


@transaction.atomic
def replay_delivery(*, delivery: WebhookDelivery, actor: Any = None) -> WebhookDelivery:
    """Send a delivery again, whatever its status, with the same ``webhook-id``
    (a receiver that got it already can drop it) and a fresh set of attempts."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = clock.now()
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    _queue(delivery)
    audit.record(
        tenant=delivery.tenant,
        actor=actor,
        action="webhook_delivery.replay",
        obj=delivery,
        after={"event": str(delivery.event_id), "endpoint": delivery.endpoint.url},
    )
    return delivery
