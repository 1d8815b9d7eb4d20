from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "ispstack.network"
    label = "network"
    verbose_name = "Network"
