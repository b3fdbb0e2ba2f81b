"""Pieces the back office's apps share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

# The terminal codes a back-office user may see, or None for every terminal. Stores live
# in the terminals app, above the journal, so that app installs the rule here (its
# AppConfig.ready) and the journal's pages ask it without importing upward.
TerminalScope = Callable[[HttpRequest], "frozenset[str] | None"]
_terminal_scope: list[TerminalScope] = []


def terminal_scope_install(scope: TerminalScope) -> None:
    _terminal_scope[:] = [scope]


def terminal_codes_visible(request: HttpRequest) -> frozenset[str] | None:
    return _terminal_scope[0](request) if _terminal_scope else None


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class TerminalCodeScoped(_ModelAdmin):
    """Mixed into a page of records that name their terminal by code (the journal's):
    a user limited to some stores sees their terminals' records only."""

    terminal_code_field = "terminal_code"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        codes = terminal_codes_visible(request)
        if codes is None:
            return queryset
        return queryset.filter(**{f"{self.terminal_code_field}__in": codes})


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
