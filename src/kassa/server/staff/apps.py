from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "kassa.server.staff"
    label = "staff"
