"""The API's routes against a committed snapshot, so a route lost in a refactor
fails the build.

The snapshot ``tests/api_schema_routes.json`` holds every (path, method,
operationId) of the OpenAPI schema and the names of its component schemas (the
request and response shapes). When routes change on purpose, regenerate it and
commit the diff with the change::

    PYTHONPATH=src python -m tests.test_api_schema
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("api_schema_routes.json")
HTTP_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}


def schema_routes() -> dict[str, Any]:
    """The snapshot's shape, from the schema the ``/api/schema/`` view serves:
    ``{"operations": [[path, method, operationId], ...], "components": [name, ...]}``,
    both sorted."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = sorted(
        [path, method, operation["operationId"]]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    )
    return {
        "operations": operations,
        "components": sorted(schema["components"]["schemas"]),
    }


def test_schema_routes_match_the_snapshot() -> None:
    expected = json.loads(SNAPSHOT.read_text())
    actual = schema_routes()
    snapshot_ops = {tuple(op) for op in expected["operations"]}
    schema_ops = {tuple(op) for op in actual["operations"]}
    lost, added = snapshot_ops - schema_ops, schema_ops - snapshot_ops
    assert not lost, f"routes lost: {sorted(lost)}"
    assert not added, f"routes not in the snapshot (regenerate it on purpose): {sorted(added)}"
    assert actual["components"] == expected["components"]


def test_every_operation_documents_its_errors_in_the_one_shape() -> None:
    """Every operation documents 400, the authenticated ones 401 and 403, those
    with an id 404, the writes 409, each with the ``Error`` component; list
    actions of a detail route are documented as the plain lists they return."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    error = {"$ref": "#/components/schemas/Error"}
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            expected = {"400"}
            if path not in {
                "/api/v1/auth/token/",
                "/api/v1/portal/auth/token/",
                "/api/v1/webhooks/stripe/",
            }:
                expected |= {"401", "403"}
            if "{id}" in path:
                expected.add("404")
            if method != "get":
                expected.add("409")
            for code in sorted(expected):
                response = operation["responses"].get(code, {})
                if response.get("content", {}).get("application/json", {}).get("schema") != error:
                    missing.append(f"{method.upper()} {path} {code}")
    assert missing == []
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "field", "detail"}
    for path in ("sessions", "auth-attempts"):
        ok = schema["paths"][f"/api/v1/subscriptions/{{id}}/{path}/"]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"]["type"] == "array"
    stats = schema["paths"]["/api/v1/dunning-campaigns/{id}/stats/"]["get"]["responses"]["200"]
    assert stats["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CampaignStats"
    }


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispstack.settings")
    django.setup()
    routes = schema_routes()
    # One operation or component a line, so a route change is a one-line diff.
    lines = ",\n".join(f"  {json.dumps(op)}" for op in routes["operations"])
    names = ",\n".join(f"  {json.dumps(name)}" for name in routes["components"])
    SNAPSHOT.write_text(f'{{"operations": [\n{lines}\n],\n"components": [\n{names}\n]}}\n')
