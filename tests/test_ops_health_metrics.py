"""/healthz answers 200 or 503 with each check, without authentication and
without secrets; /metrics serves django-prometheus's metrics and the business
gauges, read from the database at the scrape, to an allowed scraper only."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ispstack.billing.models import BillingRun
from ispstack.collections.models import CollectionRun
from ispstack.core import clock
from ispstack.core.models import Job
from ispstack.radius.models import CoaRequest, RadAcct
from ispstack.usage.services import rollup
from tests.integration.test_celery_fanout import redis_broker  # noqa: F401 - a fixture
from tests.peers import free_ports

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def _job(tenant, *, status="pending", due_ago=dt.timedelta(0)) -> Job:
    return Job.objects.create(
        tenant=tenant,
        kind="notifications.email",
        status=status,
        next_attempt_at=clock.now() - due_ago,
    )


def _session(username: str, name: str, *, open_: bool = True) -> RadAcct:
    now = clock.now()
    return RadAcct.objects.create(
        acctsessionid=name,
        acctuniqueid=name,
        username=username,
        nasipaddress="127.0.0.1",
        acctstarttime=now - dt.timedelta(hours=1),
        acctupdatetime=now,
        acctstoptime=None if open_ else now,
        acctinputoctets=1,
        acctoutputoctets=1,
    )


def scrape(client, **headers) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


# /healthz -------------------------------------------------------------------


def test_healthz_is_200_with_every_check_and_needs_no_login(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "broker": {"ok": True, "configured": False},
            "outbox": {"ok": True, "oldest_due_seconds": 0.0, "limit_seconds": 900},
        },
    }


def test_healthz_is_503_when_an_outbox_job_waits_longer_than_the_limit(client, tenant, settings):
    settings.HEALTH_OUTBOX_MAX_LAG_SECONDS = 600
    _job(tenant, due_ago=dt.timedelta(minutes=5))
    assert client.get("/healthz").status_code == 200
    _job(tenant, due_ago=dt.timedelta(hours=2))
    # Done and failed jobs and jobs not yet due are no lag.
    _job(tenant, status="done", due_ago=dt.timedelta(days=3))
    _job(tenant, status="failed", due_ago=dt.timedelta(days=3))
    _job(tenant, due_ago=-dt.timedelta(days=1))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"ok": True}
    outbox = body["checks"]["outbox"]
    assert outbox["ok"] is False
    assert 7200 <= outbox["oldest_due_seconds"] < 7300


def test_healthz_checks_a_configured_broker_and_hides_its_url(client, settings, redis_broker):  # noqa: F811
    settings.CELERY_BROKER_URL = redis_broker
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "configured": True}

    port = free_ports(1, socket.SOCK_STREAM)[0]
    settings.CELERY_BROKER_URL = f"redis://:s3cret-pass@127.0.0.1:{port}/0"
    settings.HEALTH_BROKER_TIMEOUT_SECONDS = 1
    response = client.get("/healthz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert broker["configured"] is True
    text = response.content.decode()
    assert "s3cret" not in text
    assert str(port) not in text


# /metrics -------------------------------------------------------------------


def test_metrics_are_refused_to_a_stranger_and_to_anyone_through_the_proxy(client, settings):
    settings.METRICS_BEARER_TOKEN = TOKEN
    stranger = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "permission_denied"
    proxied = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    assert client.get("/metrics").status_code == 200  # 127.0.0.1, directly
    with_token = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert with_token.status_code == 200


def test_metrics_allowed_networks_come_from_the_setting(client, settings):
    import ipaddress

    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.9.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.9.4.2").status_code == 200
    assert client.get("/metrics").status_code == 403


def test_metrics_report_the_business_gauges_per_tenant(
    client, tenant, make_tenant, make_subscription, settings
):
    other = make_tenant()
    now = clock.now()
    _job(tenant, due_ago=dt.timedelta(minutes=30))
    _job(tenant, due_ago=dt.timedelta(minutes=1))
    _job(tenant, due_ago=-dt.timedelta(hours=1))  # not due yet
    _job(other, due_ago=dt.timedelta(minutes=2))
    _job(tenant, status="failed")
    _job(other, status="failed")
    _job(other, status="failed")
    for status in ("nak", "timeout", "ack"):
        CoaRequest.objects.create(tenant=tenant, username="u", kind="disconnect", status=status)
    old = CoaRequest.objects.create(tenant=tenant, username="u", kind="coa", status="nak")
    CoaRequest.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=2))
    BillingRun.objects.create(
        tenant=tenant, as_of=now.date(), status="done", finished_at=now - dt.timedelta(hours=3)
    )
    BillingRun.objects.create(tenant=tenant, as_of=now.date(), status="failed", finished_at=now)
    CollectionRun.objects.create(tenant=other, as_of=now.date())
    sub_a = make_subscription(tenant)
    sub_b = make_subscription(tenant)
    sub_c = make_subscription(other)
    _session(sub_a.username, "s1")
    _session(sub_b.username.upper(), "s2")  # NAS vendors vary the case
    _session(sub_b.username, "s3", open_=False)
    _session(sub_c.username, "s4")
    _session("nobody-we-know", "s5")
    rollup()

    metrics = scrape(client)

    def value(name: str, **labels: str) -> float | None:
        return metrics.get((name, tuple(sorted(labels.items()))))

    assert value("ispstack_outbox_jobs_due", tenant=tenant.slug) == 2
    assert value("ispstack_outbox_jobs_due", tenant=other.slug) == 1
    assert value("ispstack_outbox_jobs_failed", tenant=tenant.slug) == 1
    assert value("ispstack_outbox_jobs_failed", tenant=other.slug) == 2
    assert 1800 <= value("ispstack_outbox_oldest_due_seconds") < 1900
    assert value("ispstack_coa_failures", tenant=tenant.slug, kind="disconnect", status="nak") == 1
    assert (
        value("ispstack_coa_failures", tenant=tenant.slug, kind="disconnect", status="timeout") == 1
    )
    assert value("ispstack_coa_failures", tenant=tenant.slug, kind="coa", status="nak") is None
    acked = value("ispstack_coa_failures", tenant=tenant.slug, kind="disconnect", status="ack")
    assert acked is None
    billing_age = value("ispstack_last_run_age_seconds", job="billing", tenant=tenant.slug)
    assert 3 * 3600 <= billing_age < 3 * 3600 + 120
    assert value("ispstack_last_run_age_seconds", job="billing", tenant=other.slug) is None
    assert value("ispstack_last_run_age_seconds", job="collections", tenant=other.slug) < 120
    assert value("ispstack_last_run_age_seconds", job="usage_rollup", tenant="") < 120
    assert value("ispstack_sessions_online", tenant=tenant.slug) == 2
    assert value("ispstack_sessions_online", tenant=other.slug) == 1
    assert value("ispstack_sessions_online", tenant="") == 1
    # django-prometheus's request metrics are served beside them.
    assert any(name.startswith("django_http_requests") for name, _ in metrics)


def test_the_gauges_follow_the_data_between_scrapes(client, tenant):
    first = scrape(client)
    assert ("ispstack_outbox_jobs_failed", (("tenant", tenant.slug),)) not in first
    _job(tenant, status="failed")
    second = scrape(client)
    assert second[("ispstack_outbox_jobs_failed", (("tenant", tenant.slug),))] == 1
