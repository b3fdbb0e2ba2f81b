from django.contrib import admin
from django.urls import path

from kassa.server.api import api
from kassa.server.terminal_views import terminal_app

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("pos/", terminal_app, name="pos"),
    path("pos/<path:path>", terminal_app, name="pos-file"),
]
