"""Schemathesis against the API's own OpenAPI schema: generated requests,
valid and invalid, to every operation, as the admin of a tenant with a row
behind the detail routes. Zero server errors; every response matches the
schema of its status, error responses (400, 404, 409 ...) included, and no
operation answers a status it does not document. Without a token every
operation answers its documented 401.

Bounded for CI: ``MAX_EXAMPLES`` requests per operation and fixed seed, so a
run is repeatable and takes a couple of minutes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ispstack.wsgi import application

MAX_EXAMPLES = 12


def load_schema() -> Any:
    """The schema as ``/api/schema/`` serves it, bound to the WSGI application."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = application
    return loaded


# The schema and its docs page are documents, not operations; generating the
# schema takes seconds, so fuzzing it would be most of the run.
schema = load_schema().exclude(path_regex="^/api/(schema|docs)/")


@pytest.fixture
def world(module_world: Any, db: Any) -> Any:
    """The module's world (``tests.api_world.module_world``): these tests only
    send requests, each in a savepoint rolled back after it."""
    return module_world


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Requests run in the test's transaction, as with Django's test client, which
    also keeps the end of a request from closing the database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def token_for(path: str, world: Any) -> str:
    """The staff token, or for the customer portal's routes (which refuse a
    staff token) the token of the world customer's portal login."""
    if path.startswith("/api/v1/portal/"):
        return str(world.portal_token)
    return str(world.client.raw_token)


def aim_at_the_world(case: Any, world: Any) -> None:
    """Point every other generated ``{id}`` at the world's row behind the route, so
    the success responses are checked as well as the 404 of a made-up id."""
    generated = (case.path_parameters or {}).get("id")
    row = world.row_id(case.path)
    if row is not None and isinstance(generated, int) and generated % 2 == 0:
        case.path_parameters["id"] = row


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_responses_match_the_schema(
    case: Any, world: Any, same_connection: None
) -> None:
    aim_at_the_world(case, world)
    case.call_and_validate(
        headers={"Authorization": f"Token {token_for(case.path, world)}"},
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )


# Anonymous on purpose: the token logins and the card gateway's signed webhook.
ANONYMOUS = {"/api/v1/auth/token/", "/api/v1/portal/auth/token/", "/api/v1/webhooks/stripe/"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method"),
    [
        (operation.path, operation.method)
        for result in schema.get_all_operations()
        for operation in [result.ok()]
        if operation.path not in ANONYMOUS
    ],
)
def test_without_a_token_every_operation_answers_its_documented_401(
    path: str, method: str, same_connection: None
) -> None:
    operation = schema[path][method.upper()]
    names = re.findall(r"{(\w+)}", path)
    case = operation.Case(path_parameters={name: 1 for name in names})
    response = case.call()
    assert response.status_code == 401, (path, method, response.status_code)
    assert response.json()["code"] == "not_authenticated"
    operation.validate_response(response)
