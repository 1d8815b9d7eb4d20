"""Schemathesis against the API's own OpenAPI schema: generated requests,
valid and invalid, to every operation, as the admin of a tenant with a row
behind every detail route. Zero server errors; every documented response
matches its schema.

Bounded for CI: ``MAX_EXAMPLES`` requests per operation and fixed seed, so a
run is repeatable and takes a couple of minutes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

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
def same_connection(world: Any) -> Iterator[None]:
    """Requests run in the test's transaction, as with Django's test client, which
    also keeps the end of a request from closing the database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(world: Any) -> str:
    return world.client.raw_token


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_responses_match_the_schema(
    case: Any, token: str, same_connection: None
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
