from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ispstack.api"
    label = "api"
    verbose_name = "REST API"
