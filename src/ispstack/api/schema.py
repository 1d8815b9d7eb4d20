"""The OpenAPI schema's error responses: every operation documents the errors
it can answer, in the one shape of ``ispstack.api.errors``, so a client (and
schemathesis's response check) knows an error body as well as a success."""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API (see ispstack.api.errors).",
    "properties": {
        "code": {
            "type": "string",
            "description": "A stable machine word: invalid, required, not_found, conflict, ...",
        },
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The input field at fault as a path (lines[1].amount), or null.",
        },
        "detail": {"type": "string", "description": "The rule that was broken, in words."},
    },
    "required": ["code", "field", "detail"],
    "additionalProperties": False,
}

# What each status means here; see ispstack.api.errors for how errors map to them.
DESCRIPTIONS = {
    "400": "Invalid input: ``field`` names the input at fault, ``detail`` the rule.",
    "401": "Not authenticated: no token or session, or an invalid one.",
    "403": "Permission denied: the user's role lacks the permission, or has no tenant.",
    "404": "Not found in the user's tenant (an id in the path or the body).",
    "409": "Conflict with the current state (a name taken, a pool in use, a transition).",
    "422": "The ``Idempotency-Key`` was already used with another body.",
    "429": "Too many requests (a rate limit or a login lockout); ``Retry-After`` says when.",
}
WRITES = {"post", "put", "patch", "delete"}
HTTP_METHODS = WRITES | {"get", "head", "options", "trace"}


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the ``Error`` component and, to
    every operation, the error responses it can answer (statuses an operation
    already documents keep their description; every error status without a
    body schema, those a view documents itself included, gets ``Error``).

    400 for every operation (a body, a query parameter); 401 and 403 for
    operations that need authentication; 404 for operations with a path
    parameter or a body (ids in bodies are looked up in the tenant); 409 for
    writes; 422 for authenticated POSTs (``core.api.idempotency``); 429 for
    every operation (the API's rate limits, the login lockout).
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            codes = ["400", "429"]
            authenticated = operation.get("security") != [{}] and "security" in operation
            if authenticated:
                codes += ["401", "403"]
            if authenticated and method == "post":
                codes.append("422")
            if (
                operation.get("parameters")
                and any(p.get("in") == "path" for p in operation["parameters"])
                or "requestBody" in operation
            ):
                codes.append("404")
            if method in WRITES:
                codes.append("409")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": DESCRIPTIONS[code]})
            for code, documented in responses.items():
                if code >= "400":
                    documented.setdefault("content", error)
    return result
