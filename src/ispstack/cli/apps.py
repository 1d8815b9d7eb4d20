from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "ispstack.cli"
    label = "cli"
    verbose_name = "Command line"
