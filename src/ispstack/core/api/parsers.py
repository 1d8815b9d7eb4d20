"""Request body parsers that refuse hostile bodies with a 400, not a crash."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No write of ours takes an object nested deeper than a few levels; a body
# nested thousands of levels deep is an attack on the parser's recursion.
MAX_JSON_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """JSON bodies: UTF-8, nested at most ``MAX_JSON_DEPTH`` levels.

    Raises ParseError (400) for malformed JSON, bytes that are not UTF-8, a
    body nested too deep, and the non-standard constants NaN and Infinity.
    """

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not UTF-8 text (byte {exc.start}).") from None
        if _depth(text) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings, scanned without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
