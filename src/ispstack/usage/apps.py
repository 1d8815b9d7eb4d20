from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "ispstack.usage"
    label = "usage"
    verbose_name = "Usage"
