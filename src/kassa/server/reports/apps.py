from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "kassa.server.reports"
    label = "reports"
