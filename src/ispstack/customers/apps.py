from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ispstack.customers"
    label = "customers"
    verbose_name = "Customers"
