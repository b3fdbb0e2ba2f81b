from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ReportsConfig(AppConfig):
    name = "kassa.server.reports"
    label = "reports"


class KassaAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with Kassa's site (reports/site.py) as the default one. Named in
    INSTALLED_APPS in place of django.contrib.admin; not this module's default config."""

    default = False
    default_site = "kassa.server.reports.site.KassaAdminSite"
