"""The job log and the service action log in Debian's Chromium: the NOC
filters the job log down to the failures, the dashboard shows them, the
Customer 360's service actions tab lists a suspension; every page passes
axe-core with no serious or critical violation."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.core import clock
from ispstack.core.job_log import job_run
from ispstack.core.models import JobExecution
from ispstack.subscriptions.services import suspend
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_noc_reads_the_job_log_and_a_subscribers_service_actions(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    tenant = make_tenant(name="Alpha Net")
    with job_run(
        "ispstack.billing.run_billing", tenant=tenant, arguments={"as_of": "2026-01-01"}
    ) as run:
        run.counts = {"invoices": 3}
    with (
        pytest.raises(RuntimeError),
        job_run("ispstack.collections.run_collections", tenant=tenant),
    ):
        raise RuntimeError("mail server down")
    JobExecution.objects.create(
        tenant=tenant,
        job="ispstack.usage.enforce_caps",
        status=JobExecution.Status.FAILED,
        started_at=clock.now() - dt.timedelta(days=3),
        error="RuntimeError: long ago",
    )
    sub = make_subscription(tenant)
    suspend(subscription=sub, reason="abuse report", actor="noc-desk")
    noc = make_staff(tenant, "noc")

    page = chromium.new_page()
    try:
        log_in(page, live_server.url, noc)
        card = page.locator('[data-card="job_runs"]')
        assert "mail server down" in card.inner_text()
        assert serious_violations(page) == []

        page.goto(f"{live_server.url}/staff/job-runs/")
        assert page.locator("h1").inner_text() == "Job log"
        assert "invoices: 3" in page.content()
        page.select_option("#id_status", "failed")
        page.select_option("#id_period", "24h")
        page.wait_for_url("**/staff/job-runs/?*period=24h*")
        page.wait_for_function(
            "() => !document.querySelector('#list-results').textContent.includes('invoices: 3')"
        )
        results = page.locator("#list-results").inner_text()
        assert "mail server down" in results and "long ago" not in results
        assert serious_violations(page) == []

        page.goto(f"{live_server.url}/staff/customers/{sub.customer_id}/?tab=service-actions")
        panel = page.locator("#c360-panel").inner_text()
        assert "Suspend" in panel and "abuse report" in panel and "noc-desk" in panel
        assert serious_violations(page) == []
    finally:
        page.close()
