from django.apps import AppConfig


class TerminalsConfig(AppConfig):
    name = "kassa.server.terminals"
    label = "terminals"
