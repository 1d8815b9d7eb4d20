"""Webhooks against a real HTTP receiver on 127.0.0.1: signed per Standard
Webhooks (checked with the ``standardwebhooks`` package), retried after a
500 and a timeout, given up after the attempts, replayed, and refused for
addresses inside the network."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from ispstack.core import clock, outbox
from ispstack.core.models import Job
from ispstack.subscriptions.services import suspend
from ispstack.webhooks.models import WebhookDelivery, WebhookEndpoint
from ispstack.webhooks.services import DELIVER_JOB, create_endpoint

pytestmark = pytest.mark.django_db
D = dt.date


class Receiver:
    """An HTTP server that answers each POST with the next scripted outcome
    (a status, or ``"timeout"``: answer 200 only after the client gave up)
    and keeps what it received."""

    def __init__(self) -> None:
        self.script: list[int | str] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                outcome = receiver.script.pop(0) if receiver.script else 200
                if outcome == "timeout":
                    time.sleep(1.5)
                    outcome = 200
                self.send_response(int(outcome))
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    peer = Receiver()
    yield peer
    peer.stop()


def _retry_due_jobs() -> None:
    """Let the backoff pass: make the pending deliveries due and run them."""
    Job.objects.filter(kind=DELIVER_JOB, status="pending").update(next_attempt_at=clock.now())
    outbox.run_due_jobs()


def test_a_delivery_is_retried_after_a_500_and_a_timeout_then_signed_and_replayed(
    tenant, make_subscription, api_client_for, receiver, django_capture_on_commit_callbacks
):
    client = api_client_for(tenant)
    created = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": receiver.url, "event_types": ["subscription.suspended"], "description": "NOC"},
        format="json",
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    shown = client.get(f"/api/v1/webhook-endpoints/{created.json()['id']}/").json()
    assert "secret" not in shown and shown["event_types"] == ["subscription.suspended"]

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))  # created, activated: not subscribed
    receiver.script = [500, "timeout", 200]
    with django_capture_on_commit_callbacks(execute=True):
        suspend(subscription=sub, reason="fraud check", cause="administrative")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > clock.now() + dt.timedelta(seconds=50)  # 1 min backoff

    _retry_due_jobs()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 2, None)
    assert "timed out" in delivery.last_error

    _retry_due_jobs()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 3, 200)
    assert len(receiver.received) == 3
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert ids == {delivery.message_id}  # one message id across its attempts

    headers, body = receiver.received[-1]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "subscription.suspended"
    assert payload["data"]["subscription_id"] == sub.pk
    assert payload["data"]["cause"] == "administrative"
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body.replace(b"administrative", b"non_payment"), headers)

    with django_capture_on_commit_callbacks(execute=True):
        replayed = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")
    assert replayed.status_code == 200, replayed.content
    assert len(receiver.received) == 4
    assert receiver.received[-1][0]["webhook-id"] == delivery.message_id
    assert json.loads(receiver.received[-1][1]) == json.loads(body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 4)


def test_a_delivery_gives_up_after_the_attempts(
    tenant, make_subscription, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    create_endpoint(tenant=tenant, url=receiver.url, event_types=["subscription.suspended"])
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    receiver.script = [503] * 10
    with django_capture_on_commit_callbacks(execute=True):
        suspend(subscription=sub, reason="fraud check")
    _retry_due_jobs()
    _retry_due_jobs()
    _retry_due_jobs()  # nothing is due any more
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 503)
    assert delivery.next_attempt_at is None
    assert Job.objects.get(kind=DELIVER_JOB).status == "failed"
    assert len(receiver.received) == 3


def test_only_subscribed_active_endpoints_of_the_tenant_get_a_committed_event(
    tenant, make_tenant, make_subscription, receiver, django_capture_on_commit_callbacks
):
    create_endpoint(tenant=tenant, url=receiver.url, event_types=["subscription.terminated"])
    create_endpoint(
        tenant=tenant, url=receiver.url, event_types=["subscription.suspended"], is_active=False
    )
    other = make_tenant()
    create_endpoint(tenant=other, url=receiver.url, event_types=["subscription.suspended"])
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        suspend(subscription=sub, reason="fraud check")
    with pytest.raises(RuntimeError), transaction.atomic():
        suspend(subscription=make_subscription(tenant), reason="rolled back")
        raise RuntimeError("the caller fails")
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("ftp://127.0.0.1/hooks", "must be an http:// or https:// URL"),
        ("http://10.1.2.3/hooks", "the host resolves to 10.1.2.3, a private or reserved address"),
        ("http://[::1]/hooks", "the host resolves to ::1, a private or reserved address"),
        ("http://169.254.169.254/latest", "a private or reserved address"),
        ("http://user:pw@example.com/", "must not carry a user name or password"),
    ],
)
def test_endpoints_inside_the_network_are_refused(tenant, api_client_for, url, detail):
    response = api_client_for(tenant).post(
        "/api/v1/webhook-endpoints/",
        {"url": url, "event_types": ["invoices.issued"]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "url"
    assert detail.lower() in response.json()["detail"].lower()
    assert not WebhookEndpoint.objects.exists()


def test_loopback_needs_the_setting_and_unknown_event_types_are_refused(
    tenant, api_client_for, settings
):
    client = api_client_for(tenant)
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    loopback = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["invoices.issued"]},
        format="json",
    )
    assert (loopback.status_code, loopback.json()["field"]) == (400, "url")
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    unknown = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["invoice.paid.maybe"]},
        format="json",
    )
    assert (unknown.status_code, unknown.json()["field"]) == (400, "event_types")
    assert "is not an event type" in unknown.json()["detail"]


def test_another_tenants_delivery_cannot_be_seen_or_replayed(
    tenant, make_tenant, make_subscription, api_client_for, receiver
):
    other = make_tenant()
    create_endpoint(tenant=other, url=receiver.url, event_types=["subscription.suspended"])
    suspend(subscription=make_subscription(other), reason="fraud check")
    delivery = WebhookDelivery.objects.get()
    client = api_client_for(tenant)
    assert client.get("/api/v1/webhook-deliveries/").json()["count"] == 0
    assert client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/").status_code == 404
