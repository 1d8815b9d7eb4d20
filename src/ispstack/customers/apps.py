from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ispstack.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from ispstack.core import tenant_settings
        from ispstack.customers.models import CustomerSettings

        tenant_settings.register(CustomerSettings)
