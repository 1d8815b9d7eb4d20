from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Finance reports (docs/metrics.md): read-only over the lower floors, plus
    the tenant's report settings, its marketing spend per month and the
    reports it has emailed on a schedule."""

    name = "ispstack.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from ispstack.core import tenant_settings
        from ispstack.reports import jobs  # noqa: F401  (registers the outbox handler)
        from ispstack.reports.models import ReportSettings

        tenant_settings.register(ReportSettings)
