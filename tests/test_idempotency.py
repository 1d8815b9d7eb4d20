"""The Idempotency-Key header on the API's POSTs: a retry gets the first
answer back, a reused key with another body is refused, keys are per user
(so per tenant), a key in use answers 409, old keys are purged."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ispstack.core import clock
from ispstack.core.api.idempotency import HEADER, purge_expired
from ispstack.core.models import IdempotencyKey
from ispstack.core.tasks import purge_idempotency_keys_task
from ispstack.customers.models import Customer

pytestmark = pytest.mark.django_db
ADA = {"name": "Ada Lovelace", "email": "ada@example.net"}


def _post(client, body, key, path="/api/v1/customers/"):
    return client.post(path, body, format="json", headers={HEADER: key})


def test_a_retry_replays_the_first_answer_and_creates_one_row(tenant, api_client_for):
    client = api_client_for(tenant)
    first = _post(client, ADA, "signup-7f3a")
    assert first.status_code == 201, first.content
    again = _post(client, ADA, "signup-7f3a")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Customer.objects.filter(tenant=tenant).count() == 1
    other_key = _post(client, ADA, "signup-8b11")
    assert other_key.status_code == 201
    assert other_key.json()["account_number"] != first.json()["account_number"]
    assert Customer.objects.filter(tenant=tenant).count() == 2


def test_the_same_key_with_another_body_is_refused_with_422(tenant, api_client_for):
    client = api_client_for(tenant)
    assert _post(client, ADA, "k-1").status_code == 201
    reused = _post(client, {**ADA, "name": "Grace Hopper"}, "k-1")
    assert reused.status_code == 422
    assert reused.json() == {
        "code": "unprocessable",
        "field": HEADER,
        "detail": "this key was used for another request; use a new key",
    }
    elsewhere = _post(client, {"amount": "1"}, "k-1", path="/api/v1/payments/")
    assert elsewhere.status_code == 422
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ada Lovelace"]


def test_keys_of_another_tenant_do_not_collide(make_tenant, api_client_for):
    a, b = make_tenant(), make_tenant()
    for_a = _post(api_client_for(a), ADA, "shared-key")
    for_b = _post(api_client_for(b), ADA, "shared-key")
    assert (for_a.status_code, for_b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in for_b
    assert for_a.json()["id"] != for_b.json()["id"]
    assert Customer.objects.filter(tenant=a).count() == 1
    assert Customer.objects.filter(tenant=b).count() == 1
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 2


def test_a_key_in_use_answers_409_until_its_request_answers_or_is_given_up(tenant, api_client_for):
    client = api_client_for(tenant)
    # What the first request leaves while its view runs: the key, no answer yet.
    running = _post(client, ADA, "in-flight")
    IdempotencyKey.objects.filter(key="in-flight").update(response_status=None, response_body="")
    Customer.objects.all().delete()
    busy = _post(client, ADA, "in-flight")
    assert busy.status_code == 409
    assert busy.json()["field"] == HEADER
    assert not Customer.objects.exists()
    # A first request silent for more than 10 minutes crashed: the key runs again.
    IdempotencyKey.objects.filter(key="in-flight").update(
        updated_at=clock.now() - dt.timedelta(minutes=11)
    )
    retried = _post(client, ADA, "in-flight")
    assert retried.status_code == 201 and retried.json()["id"] != running.json()["id"]


def test_a_refused_request_is_replayed_as_refused(tenant, api_client_for):
    client = api_client_for(tenant)
    first = _post(client, {"name": "X", "email": "nope"}, "bad-1")
    assert (first.status_code, first.json()["field"]) == (400, "email")
    again = _post(client, {"name": "X", "email": "nope"}, "bad-1")
    assert (again.status_code, again.json()) == (400, first.json())
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve-key", "tab\there"])
def test_a_malformed_key_is_refused(tenant, api_client_for, key):
    response = _post(api_client_for(tenant), ADA, key)
    assert response.status_code == 400
    assert response.json()["field"] == HEADER
    assert not Customer.objects.exists()


def test_keys_expire_after_24_hours_and_are_purged(tenant, api_client_for):
    client = api_client_for(tenant)
    assert _post(client, ADA, "old").status_code == 201
    assert _post(client, ADA, "new").status_code == 201
    IdempotencyKey.objects.filter(key="old").update(created_at=clock.now() - dt.timedelta(hours=25))
    assert purge_idempotency_keys_task() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert purge_expired() == 0
    # An expired key is a new key: the request runs again.
    assert _post(client, ADA, "old").status_code == 201
    assert Customer.objects.count() == 3


def test_the_schema_documents_the_header_on_posts_only(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    # Anonymous POSTs (the token logins, the card gateway's webhook) take no part.
    anonymous = {"/api/v1/auth/token/", "/api/v1/portal/auth/token/", "/api/v1/webhooks/stripe/"}
    # The customer portal's writes do not replay by key (a card payment is
    # once-only in the card service itself); buying a top-up takes the header.
    portal = "/api/v1/portal/"
    keyed_in_portal = {"/api/v1/portal/subscriptions/{id}/topups/"}
    posts = [
        op
        for url, path in schema["paths"].items()
        for method, op in path.items()
        if method == "post"
        and url not in anonymous
        and (not url.startswith(portal) or url in keyed_in_portal)
    ]
    assert len(posts) > 20
    for operation in posts:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert HEADER in names, operation["operationId"]
    gets = schema["paths"]["/api/v1/customers/"]["get"]
    assert HEADER not in [p["name"] for p in gets.get("parameters", [])]


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_run_once(tenant, api_client_for, monkeypatch):
    """On two connections: the second request arrives while the first is
    inside its service; it gets 409, the first completes, a retry replays it."""
    import threading

    from django.db import connections

    from ispstack.customers import services as customers

    client = api_client_for(tenant)
    inside, finish = threading.Event(), threading.Event()
    create = customers.create_customer

    def held(**kwargs):
        inside.set()
        assert finish.wait(20), "the second request never answered"
        return create(**kwargs)

    monkeypatch.setattr(customers, "create_customer", held)
    answers = {}

    def first() -> None:
        try:
            answers["first"] = _post(client, ADA, "race-1")
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(20)
    answers["second"] = _post(client, ADA, "race-1")
    finish.set()
    thread.join(20)
    assert answers["second"].status_code == 409
    assert answers["second"].json()["field"] == HEADER
    assert answers["first"].status_code == 201
    replay = _post(client, ADA, "race-1")
    assert (replay.status_code, replay.json()) == (201, answers["first"].json())
    assert Customer.objects.filter(tenant=tenant).count() == 1
