"""Pieces the back office's apps share."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path


class AcknowledgementFilter(admin.SimpleListFilter):
    """Open or acknowledged, by `acknowledged_at`: the alerts and reviews a manager signs off."""

    title = "state"
    parameter_name = "state"
    open_label = "Open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", self.open_label), ("acknowledged", "Acknowledged")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return queryset.filter(acknowledged_at__isnull=True)
        if self.value() == "acknowledged":
            return queryset.filter(acknowledged_at__isnull=False)
        return queryset


class ReadOnlyAdminMixin:
    """For records that are facts once written (paid orders, closed sessions, reports):
    the back office shows them and never adds, edits or deletes them."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


_M = TypeVar("_M", bound=Model)


class ImportAdmin(admin.ModelAdmin[_M]):
    """A model's back-office page with an "Import" page beside its change list, at
    `import/` (URL name `<app>_<model>_import`, template `admin/<app>/<model>/import.html`).
    Subclasses write import_view and render with import_page."""

    import_title = "Import"

    def import_view(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        view = self.admin_site.admin_view(self.import_view)
        name = f"{opts.app_label}_{opts.model_name}_import"
        return [path("import/", view, name=name), *super().get_urls()]

    def import_page(self, request: HttpRequest, form: Form, report: object) -> TemplateResponse:
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": self.import_title,
            "form": form,
            "report": report,
            "opts": opts,
        }
        template = f"admin/{opts.app_label}/{opts.model_name}/import.html"
        return TemplateResponse(request, template, context)
