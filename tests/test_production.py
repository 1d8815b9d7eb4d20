"""Production settings: `check --deploy` is clean with the documented
environment (docs/install.md), the Content-Security-Policy reaches the admin
and the API docs, and oversized uploads are refused in the error shape."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.test_payments_in import camt053

# The variables docs/install.md tells a production host behind a TLS proxy to set.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "isp.example",
    "CSRF_TRUSTED_ORIGINS": "https://isp.example",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
}


def deploy_check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests' peer sets DJANGO_ALLOW_ASYNC_UNSAFE in this process;
    # a production host never has it (Django's async.E001).
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "SECRET_KEY": secrets.token_urlsafe(60), **extra}
    return subprocess.run(
        [sys.executable, "-m", "ispstack", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = deploy_check(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_the_tls_settings_are_missing():
    without_tls = {
        name: value
        for name, value in PRODUCTION_ENV.items()
        if name in {"DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"}
    }
    result = deploy_check(without_tls)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_the_admin_answers_with_the_content_security_policy(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    # No CDN: no directive allows another origin.
    assert "http" not in policy


def test_the_admin_login_page_loads_its_scripts_and_styles_from_our_origin(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    html = response.content.decode()
    assert "<script>" not in html
    assert "https://" not in html.split("<body")[0]


def test_the_api_docs_serve_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # The split view serves its start script as a file, which the CSP allows.
    assert "<script>" not in html


def test_a_body_over_the_request_limit_is_refused_with_413_before_it_is_read(
    tenant, api_client_for, settings
):
    settings.MAX_REQUEST_BYTES = 1000
    statement = camt053([("A1", "10.00", "CRDT", "x" * 2000, "")])
    response = api_client_for(tenant).post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("big.xml", statement)},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "field": "body",
        "detail": "the body is larger than 1000 bytes",
    }


def test_a_statement_file_over_its_limit_is_refused_in_the_error_shape(
    tenant, api_client_for, settings
):
    statement = camt053([("A1", "10.00", "CRDT", "rent", "")])
    settings.STATEMENT_MAX_FILE_BYTES = len(statement) - 1
    response = api_client_for(tenant).post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("jan.xml", statement)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "field": "file",
        "detail": f"The file is larger than {len(statement) - 1} bytes.",
    }


def test_a_statement_file_within_the_limit_is_imported(tenant, api_client_for, settings):
    statement = camt053([("A1", "10.00", "CRDT", "rent", "")])
    settings.STATEMENT_MAX_FILE_BYTES = len(statement)
    response = api_client_for(tenant).post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("jan.xml", statement)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("clock_time", [dt.time(8, 0, 3), dt.time(17, 0, 3)])
def test_no_model_field_warns_of_a_fixed_default_at_any_time_of_day(clock_time):
    """fields.W161 compares a fixed time default with the clock: a check run
    within ten seconds of 08:00 or 17:00 failed `check --deploy` in CI."""
    from django.apps import apps
    from django.db.models import fields

    now = dt.datetime.combine(dt.date(2026, 12, 2), clock_time)
    with mock.patch.object(fields, "_get_naive_now", return_value=now):
        warnings = [
            message
            for model in apps.get_models()
            for field in model._meta.local_fields
            for message in field.check()
            if message.id == "fields.W161"
        ]
    assert warnings == []
