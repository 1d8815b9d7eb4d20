from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: the health check, the Prometheus metrics, the log format."""

    name = "ispstack.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from prometheus_client import REGISTRY

        from ispstack.ops.metrics import BusinessCollector

        # Once per process: the registry refuses a second collector with the same names.
        if not any(isinstance(c, BusinessCollector) for c in REGISTRY._collector_to_names):
            REGISTRY.register(BusinessCollector())
