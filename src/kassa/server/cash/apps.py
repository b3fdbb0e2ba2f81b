from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "kassa.server.cash"
    label = "cash"
