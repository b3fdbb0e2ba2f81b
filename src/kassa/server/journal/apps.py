from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "kassa.server.journal"
    label = "journal"
    verbose_name = "Journal"
