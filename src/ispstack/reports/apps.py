from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Finance reports (docs/metrics.md): read-only over the lower floors, plus
    the tenant's report settings and its marketing spend per month."""

    name = "ispstack.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from ispstack.core import tenant_settings
        from ispstack.reports.models import ReportSettings

        tenant_settings.register(ReportSettings)
