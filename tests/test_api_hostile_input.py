"""Every write endpoint of the API against what a careless or hostile client
sends: wrong JSON types, over-long strings, huge numbers, bad ids, NUL bytes,
lone surrogates, dates out of range, bodies that are not UTF-8, not JSON,
nested 10,000 levels deep, lists instead of objects.

The endpoints and their fields are read from the OpenAPI schema, so a new
endpoint is walked without anyone writing its test. Each request must answer
4xx in the documented shape ``{"code", "field", "detail"}`` naming the field
that was spoilt, and leave every table as it was (row counts of every
ispstack table, audit log included, compared before and after).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from drf_spectacular.generators import SchemaGenerator

from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(module_world: Any, db: Any) -> Any:
    """The module's world (``tests.api_world.module_world``): these tests only
    send requests, each in a savepoint rolled back after it."""
    return module_world


D = dt.date

# Endpoints whose body is a file upload (multipart) or that take no body.
MULTIPART = {
    "/api/v1/bank-statements/",
    "/api/v1/bank-transfers/",
    "/api/v1/direct-debit-batches/returns/",
    "/api/v1/tickets/{id}/attachments/",
    "/api/v1/surveys/{id}/photos/",
    "/api/v1/portal/transfers/",
}
NO_BODY = {
    "/api/v1/bank-transfers/{id}/approve/",
    "/api/v1/plan-change-requests/{id}/approve/",
    "/api/v1/direct-debit-batches/{id}/settle/",
    "/api/v1/invoices/{id}/charge-card/",
    "/api/v1/devices/{id}/reveal-password/",
    "/api/v1/nas/{id}/reveal-secret/",
    "/api/v1/subscriptions/{id}/reveal-password/",
    "/api/v1/webhook-deliveries/{id}/replay/",
    "/api/v1/service-orders/{id}/advance/",
    "/api/v1/service-orders/{id}/retry/",
    "/api/v1/leads/{id}/coverage/",
    "/api/v1/portal/payment-methods/{id}/primary/",
    "/api/v1/portal/plan-change-requests/{id}/cancel/",
    "/api/v1/hotspot/router-secrets/{id}/rotate/",
    "/api/v1/report-schedules/{id}/send/",
}
# The token logins (tests/test_api_tokens.py, tests/test_portal_api.py) and the
# card gateway's signed webhook.
ANONYMOUS = {"/api/v1/auth/token/", "/api/v1/portal/auth/token/", "/api/v1/webhooks/stripe/"}
# Writes that reach the card gateway once their body is valid: the tests run
# without one configured, so the valid body's 4xx names the gateway (``card``).
NEED_GATEWAY = {
    "/api/v1/payments/{id}/refund-to-card/",
    "/api/v1/portal/invoices/{id}/pay/",
    "/api/v1/portal/payment-methods/",
}


def write_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request schema) of every POST / PUT / PATCH in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in sorted(schema["paths"].items()):
        for method, operation in operations.items():
            if method not in {"post", "put", "patch"}:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            ref = next(iter(content.values()), {}).get("schema", {}).get("$ref")
            body = components[ref.rsplit("/", 1)[1]] if ref else {}
            found.append((method, path, body))
    return found


OPERATIONS = write_operations()


def row_counts() -> tuple[int, ...]:
    """The number of rows of every ispstack table (and the audit log), in one query."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label
        in {
            "core",
            "customers",
            "catalog",
            "network",
            "notifications",
            "subscriptions",
            "billing",
            "radius",
            "usage",
            "payments",
            "collections",
            "webhooks",
        }
        and model._meta.managed
        and not model._meta.proxy
    )
    select = ", ".join(f'(SELECT count(*) FROM "{table}")' for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}")
        return tuple(cursor.fetchone())


def spoilt_values(prop: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, value) pairs that no field of this JSON-schema type may accept."""
    kind = prop.get("type")
    if "$ref" in prop or "allOf" in prop or "oneOf" in prop:
        kind = "enum"
    if kind == "string":
        if prop.get("format") != "decimal":
            # A decimal may come as a JSON number; any other text field may not.
            yield "a number", 12345
        yield "a list", ["x"]
        yield "an object", {"x": 1}
        yield "a NUL byte", "bad\x00value"
        yield "a lone surrogate", "bad\ud800value"
        if "maxLength" in prop:
            yield "too long", "x" * (prop["maxLength"] + 1)
        if prop.get("format") == "date":
            yield "not a date", "2026-13-45"
            yield "year 1", "0001-01-01"
            yield "year 9999", "9999-12-31"
        if prop.get("format") == "decimal":
            yield "huge", "1e30"
            yield "overflow", "99999999999999.99"
            yield "not a number", "12,50 EUR"
    elif kind == "enum":
        yield "not a choice", "no-such-choice"
        yield "a number", 12345
        yield "a list", ["x"]
    elif kind == "integer":
        yield "text", "abc"
        yield "beyond bigint", 2**63
        yield "beyond -bigint", -(2**63) - 1
        yield "a fraction", 1.5
        yield "a boolean", True
        yield "a list", [1]
    elif kind == "number":
        yield "text", "abc"
        yield "a list", [1]
    elif kind == "boolean":
        yield "a word", "maybe"
        yield "a list", [True]
        yield "an object", {"a": 1}
    elif kind == "array":
        yield "not a list", "x"
        yield "a null item", [None]
        yield "an object", {"a": 1}
    elif kind == "object":
        yield "a string", "x"
        yield "a list", [1]


def field_cases(body: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(field, label, spoilt value) for every writable property of a request schema."""
    for name, prop in sorted(body.get("properties", {}).items()):
        if prop.get("readOnly"):
            continue
        for label, value in spoilt_values(prop):
            yield name, label, value


JSON_OPERATIONS = [
    pytest.param(m, p, b, id=f"{m} {p}")
    for m, p, b in OPERATIONS
    if p not in MULTIPART | NO_BODY | ANONYMOUS
]


BODY_CASES: list[tuple[str, bytes, str]] = [
    ("not UTF-8", b'{"name": "\xff\xfe"}', "application/json"),
    ("not JSON", b"{name: 'x'", "application/json"),
    ("nested 10,000 deep", b"[" * 10_000 + b"]" * 10_000, "application/json"),
    ("a list", b"[1, 2, 3]", "application/json"),
    ("a string", b'"hello"', "application/json"),
    ("NaN", b'{"amount": NaN}', "application/json"),
    ("form garbage", b"\xff\xfe=\x00", "application/x-www-form-urlencoded"),
]


def refusal_problem(response: Any, before: tuple[int, ...], field: str | None = None) -> str:
    """What is wrong with how ``response`` refused a request, or "" when nothing is."""
    if not 400 <= response.status_code < 500:
        return f"answered {response.status_code}: {response.content[:200]!r}"
    try:
        body = response.json()
    except ValueError:
        return f"answered a body that is not JSON: {response.content[:200]!r}"
    if set(body) != {"code", "field", "detail"}:
        return f"answered another shape: {body}"
    if not (isinstance(body["code"], str) and body["code"] and isinstance(body["detail"], str)):
        return f"answered an empty code or detail: {body}"
    if field is not None:
        named = (body["field"] or "").split(".")[0].split("[")[0]
        if named != field:
            return f"named field {body['field']!r}, not {field!r}: {body['detail']}"
    if row_counts() != before:
        return "wrote rows although it refused the request"
    return ""


def assert_refused(response: Any, before: tuple[int, ...], field: str | None = None) -> None:
    problem = refusal_problem(response, before, field)
    assert not problem, problem


@pytest.mark.parametrize(("method", "path", "body"), JSON_OPERATIONS)
def test_spoilt_fields_are_refused_naming_them(world, method, path, body):
    problems = []
    for name, label, value in field_cases(body):
        payload = world.valid_body(method, path)
        payload[name] = value
        before = row_counts()
        # json.dumps escapes a lone surrogate as \ud800, as a JavaScript client sends it.
        response = world.client_for(path).generic(
            method.upper(), world.url(path), json.dumps(payload), content_type="application/json"
        )
        problem = refusal_problem(response, before, field=name)
        if problem:
            problems.append(f"{name} ({label}): {problem}")
    assert problems == []


@pytest.mark.parametrize(("method", "path", "body"), JSON_OPERATIONS)
def test_hostile_bodies_are_refused(world, method, path, body):
    problems = []
    for label, raw, content_type in BODY_CASES:
        before = row_counts()
        response = world.client_for(path).generic(
            method.upper(), world.url(path), raw, content_type=content_type
        )
        problem = refusal_problem(response, before)
        if problem:
            problems.append(f"{label}: {problem}")
    assert problems == []


@pytest.mark.parametrize(
    ("path", "required"),
    [
        (p, sorted(b["required"]))
        for m, p, b in OPERATIONS
        if m == "post" and b.get("required") and p not in MULTIPART | ANONYMOUS
    ],
)
def test_a_post_without_a_body_names_a_required_field(world, path, required):
    before = row_counts()
    response = world.client_for(path).post(world.url(path))
    assert_refused(response, before)
    assert response.json()["code"] == "required"
    assert response.json()["field"] in required


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p, _b in OPERATIONS if p not in MULTIPART | NO_BODY | ANONYMOUS],
)
def test_the_walk_starts_from_bodies_that_are_accepted(world, method, path):
    """The spoilt-field test means something only if the unspoilt body is accepted."""
    response = getattr(world.client_for(path), method)(
        world.url(path), world.valid_body(method, path), format="json"
    )
    if path == "/api/v1/portal/invoices/{id}/pay/confirm/":
        # A payment waiting for the bank exists only once the gateway made it.
        assert response.status_code == 404, response.content[:300]
        assert response.json()["field"] == "payment_intent"
    elif path in NEED_GATEWAY:
        body = world.valid_body(method, path)
        assert 400 <= response.status_code < 500, response.content[:300]
        assert response.json()["field"] not in body, response.content[:300]
    else:
        assert response.status_code < 400, (response.status_code, response.content[:300])


def test_every_text_field_of_every_write_is_bounded():
    """An unbounded string field is an invitation to send megabytes."""
    unbounded = [
        f"{method.upper()} {path} {name}"
        for method, path, body in OPERATIONS
        for name, prop in body.get("properties", {}).items()
        if prop.get("type") == "string"
        and not prop.get("readOnly")
        and "maxLength" not in prop
        and "enum" not in prop
        and prop.get("format") not in {"date", "date-time", "decimal", "binary", "email", "uri"}
        and "pattern" not in prop
    ]
    assert unbounded == []


def multipart_cases() -> Iterator[Any]:
    yield pytest.param("/api/v1/bank-statements/", {}, "file", id="statement without a file")
    yield pytest.param(
        "/api/v1/bank-statements/", {"file": "not a file"}, "file", id="statement file as text"
    )
    yield pytest.param(
        "/api/v1/bank-statements/",
        {"file": ("garbage.xml", b"\xff\xfe\x00garbage")},
        "file",
        id="statement of binary garbage",
    )
    yield pytest.param(
        "/api/v1/bank-statements/",
        {"file": ("s.xml", b"<a/>"), "format": "no-such-format"},
        "format",
        id="statement in an unknown format",
    )
    yield pytest.param("/api/v1/direct-debit-batches/returns/", {}, "file", id="returns no file")
    yield pytest.param(
        "/api/v1/direct-debit-batches/returns/",
        {"file": ("r.xml", b"\x00\x01\x02")},
        "file",
        id="returns of binary garbage",
    )
    photos = "/api/v1/surveys/{id}/photos/"
    yield pytest.param(photos, {}, "image", id="survey photo without a file")
    yield pytest.param(photos, {"image": "not a file"}, "image", id="survey photo as text")
    yield pytest.param(
        photos,
        {"image": ("p.png", b"<svg onload=alert(1)>")},
        "image",
        id="survey photo not an image",
    )
    base = {"amount": "10.00", "transferred_on": "2026-01-05", "proof": ("p.pdf", b"%PDF-1.4")}
    for field, value in [
        ("customer", "abc"),
        ("customer", str(2**63)),
        ("amount", "1e30"),
        ("amount", "abc"),
        ("transferred_on", "9999-12-31"),
        ("transferred_on", "2026-02-30"),
        ("reference", "x" * 141),
        ("reference", "bad\x00ref"),
        ("proof", "not a file"),
    ]:
        yield pytest.param(
            "/api/v1/bank-transfers/", {**base, field: value}, field, id=f"transfer {field}"
        )


@pytest.mark.parametrize(("path", "form", "field"), list(multipart_cases()))
def test_a_spoilt_upload_is_refused(world, path, form, field):
    data: dict[str, Any] = {}
    for key, value in form.items():
        data[key] = SimpleUploadedFile(value[0], value[1]) if isinstance(value, tuple) else value
    if path == "/api/v1/bank-transfers/" and "customer" not in data:
        data["customer"] = world.customer.pk
    before = row_counts()
    response = world.client.post(world.url(path), data, format="multipart")
    assert_refused(response, before, field=field)


def test_unknown_ids_and_other_tenants_ids_read_as_not_found(world, make_tenant, make_customer):
    other = make_customer(make_tenant())
    before = row_counts()
    for customer in (other.pk, 987654321):
        response = world.client.post(
            "/api/v1/payments/", {"customer": customer, "amount": "1.00"}, format="json"
        )
        assert_refused(response, before, field="customer")
    assert Subscription.objects.filter(customer=other).count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "limit=100000000000000000000",
        "limit=-1",
        "limit=abc",
        "offset=100000000000000000000",
        "limit=%D9%A1%D9%A2",  # Arabic-Indic digits
        "code=%00",
        "status=%ED%A0%80",  # a lone surrogate, percent-encoded UTF-8
    ],
)
def test_hostile_query_parameters_are_refused_or_ignored(world, query):
    for path in ("/api/v1/addons/", "/api/v1/plans/", "/api/v1/customers/"):
        response = world.client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        if response.status_code == 400:
            assert set(response.json()) == {"code", "field", "detail"}


def test_a_huge_limit_is_cut_to_the_maximum(world, make_customer):
    response = world.client.get("/api/v1/customers/?limit=5000")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 1000


def test_json_error_bodies_are_json(world):
    raw = json.dumps({"name": "x", "email": "y@example.net", "tags": "notalist"})
    response = world.client.post("/api/v1/customers/", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "tags"
