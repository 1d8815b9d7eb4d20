"""Business gauges for Prometheus, computed from the database at each scrape.

Registered once per process on prometheus_client's default registry beside
django-prometheus's request metrics; ``/metrics`` serves both. Every
process computes the same figures from the same database, so a scrape of
any gunicorn worker gives the whole picture.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ispstack.ops import selectors

NAMES = (
    "ispstack_outbox_jobs_due",
    "ispstack_outbox_jobs_failed",
    "ispstack_outbox_oldest_due_seconds",
    "ispstack_coa_failures",
    "ispstack_last_run_age_seconds",
    "ispstack_sessions_online",
)


class BusinessCollector(Collector):
    """``ispstack_*`` gauges: outbox jobs due and failed, CoA failures, the age of
    the last billing / collections / usage rollup run, online sessions."""

    def describe(self) -> Iterator[Metric]:
        # The names without values, so registering reads no database.
        for name in NAMES:
            yield GaugeMetricFamily(name, name)

    def collect(self) -> Iterator[Metric]:
        due = GaugeMetricFamily(
            "ispstack_outbox_jobs_due",
            "Outbox jobs pending whose next attempt time has come.",
            labels=["tenant"],
        )
        for slug, n in selectors.jobs_by_tenant("pending", due_only=True).items():
            due.add_metric([slug], n)
        yield due
        failed = GaugeMetricFamily(
            "ispstack_outbox_jobs_failed",
            "Outbox jobs that used up their attempts (kept with their last error).",
            labels=["tenant"],
        )
        for slug, n in selectors.jobs_by_tenant("failed").items():
            failed.add_metric([slug], n)
        yield failed
        yield GaugeMetricFamily(
            "ispstack_outbox_oldest_due_seconds",
            "Seconds since the oldest pending outbox job became due (0: none due).",
            value=selectors.oldest_due_job_age(),
        )
        coa = GaugeMetricFamily(
            "ispstack_coa_failures",
            "CoA and Disconnect requests not acknowledged in the last 24 hours.",
            labels=["tenant", "kind", "status"],
        )
        for (slug, kind, status), n in selectors.coa_failures().items():
            coa.add_metric([slug, kind, status], n)
        yield coa
        ages = GaugeMetricFamily(
            "ispstack_last_run_age_seconds",
            "Seconds since the last successful run of a periodic job.",
            labels=["job", "tenant"],
        )
        for (job, slug), age in selectors.last_run_ages().items():
            ages.add_metric([job, slug], age)
        yield ages
        online = GaugeMetricFamily(
            "ispstack_sessions_online",
            "Open RADIUS accounting sessions (radacct rows without acctstoptime).",
            labels=["tenant"],
        )
        for slug, n in selectors.online_sessions().items():
            online.add_metric([slug], n)
        yield online
