from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ispstack.catalog"
    label = "catalog"
    verbose_name = "Catalog"
