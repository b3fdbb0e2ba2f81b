"""Pieces the back office's apps share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateTimeField, Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import formats, timezone

# The terminal codes a back-office user may see, or None for every terminal. Stores live
# in the terminals app, above the journal, so that app installs the rule here (its
# AppConfig.ready) and the journal's pages ask it without importing upward.
TerminalScope = Callable[[HttpRequest], "frozenset[str] | None"]
_terminal_scope: list[TerminalScope] = []


def terminal_scope_install(scope: TerminalScope) -> None:
    _terminal_scope[:] = [scope]


# The time zone of each terminal's store, by terminal code: installed by the terminals app
# as the scope is, so that the journal's pages show a terminal's records in its store's
# zone (issue 15) without importing upward.
TerminalZones = Callable[[], "dict[str, str]"]
_terminal_zones: list[TerminalZones] = []


def terminal_zones_install(zones: TerminalZones) -> None:
    _terminal_zones[:] = [zones]


def terminal_zones() -> dict[str, str]:
    """{terminal code: its store's time zone name} (empty when no rule is installed)."""
    return _terminal_zones[0]() if _terminal_zones else {}


def zone_time(value: datetime | None, zone: str | None) -> str:
    """A moment as the clock of `zone` showed it, with the zone's abbreviation (CET, CEST);
    without a zone, in the back office's own (the server's)."""
    if value is None:
        return "-"
    if not zone:
        return str(formats.localize(timezone.localtime(value)))
    local = value.astimezone(ZoneInfo(zone))
    return f"{formats.localize(local)} {local:%Z}"


def in_zone(zone: str | None, response: HttpResponse) -> HttpResponse:
    """Render `response` with its times in `zone` (the back office's own if none)."""
    if not zone or not isinstance(response, TemplateResponse) or response.is_rendered:
        return response
    with timezone.override(ZoneInfo(zone)):
        return response.render()


def with_time_columns(
    model: type[Model], names: Any, column: Callable[[DateTimeField[Any, Any]], Any]
) -> list[Any]:
    """A list_display with each of `model`'s date-time fields replaced by `column(field)`
    (the store-zone and terminal-zone pages alike)."""
    shown = []
    for name in names:
        field = _datetime_field(model, name) if isinstance(name, str) else None
        shown.append(column(field) if field is not None else name)
    return shown


def _datetime_field(model: type[Model], name: str) -> DateTimeField[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, DateTimeField) else None


def terminal_codes_visible(request: HttpRequest) -> frozenset[str] | None:
    return _terminal_scope[0](request) if _terminal_scope else None


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class TerminalCodeScoped(_ModelAdmin):
    """Mixed into a page of records that name their terminal by code (the journal's):
    a user limited to some stores sees their terminals' records only, and its times show
    in the terminal's store's time zone (each list row in its own, with the zone's
    abbreviation; a record's page in its store's), as StoreScoped pages do."""

    terminal_code_field = "terminal_code"

    def get_list_display(self, request: HttpRequest) -> Any:
        zones = terminal_zones()  # one query per page: a shop has few terminals
        return with_time_columns(
            self.model,
            super().get_list_display(request),
            lambda field: self._zone_time_column(field, zones),
        )

    def _zone_time_column(self, field: DateTimeField[Any, Any], zones: dict[str, str]) -> Any:
        code_field = self.terminal_code_field

        @admin.display(description=field.verbose_name, ordering=field.name)
        def column(obj: Any) -> str:
            return zone_time(getattr(obj, field.name), zones.get(getattr(obj, code_field)))

        column.__name__ = field.name
        return column

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        code = getattr(original, self.terminal_code_field, None)
        return in_zone(terminal_zones().get(code) if code else None, response)

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
