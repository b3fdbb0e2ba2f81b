from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kassa.server.orders"
    label = "orders"
