"""Log lines carry the request id, which the response returns in
X-Request-ID; ISPSTACK_LOG_FORMAT=json makes every line a JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Two requests through the whole middleware stack in a fresh process, so the
# logging configuration of the settings is the one under test.
SCRIPT = """
import django, logging
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
first = client.get("/api/v1/no-such-resource/")
second = client.get("/api/v1/no-such-resource/", HTTP_X_REQUEST_ID="edge-4711")
print(first["X-Request-ID"], second["X-Request-ID"])
logging.getLogger("ispstack.ops").warning("after the requests")
"""


@pytest.fixture
def run_logged():
    def run(log_format: str) -> tuple[list[str], list[str]]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ispstack.settings",
            "ISPSTACK_LOG_FORMAT": log_format,
        }
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split(), result.stderr.strip().splitlines()

    return run


def test_json_lines_carry_the_request_id_that_the_response_returns(run_logged):
    (generated, given), lines = run_logged("json")
    records = [json.loads(line) for line in lines]
    not_found = [r for r in records if r["logger"] == "django.request"]
    assert [r["request_id"] for r in not_found] == [generated, "edge-4711"]
    assert given == "edge-4711"
    assert len(generated) == 32
    assert all(r["level"] == "WARNING" and "Not Found" in r["message"] for r in not_found)
    assert {"time", "level", "logger", "message", "request_id"} <= set(records[-1])


def test_plain_text_lines_carry_the_request_id_too(run_logged):
    (generated, _given), lines = run_logged("text")
    assert any(f"[{generated}] Not Found" in line for line in lines)
    assert not lines[0].startswith("{")


@pytest.mark.django_db
@pytest.mark.parametrize("given", ['evil" injected="1', "x" * 129, "line\nbreak", ""], ids=repr)
def test_an_unsafe_incoming_request_id_is_replaced(client, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    returned = response["X-Request-ID"]
    assert returned != given
    assert len(returned) == 32 and returned.isalnum()
