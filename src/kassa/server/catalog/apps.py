from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kassa.server.catalog"
    label = "catalog"
