from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from kassa.server.common.admin import in_zone, with_time_columns, zone_time

from .models import DeviceToken, PaymentMethod, Store, Terminal
from .selectors import user_store_ids
from .services import (
    device_token_revoke,
    pairing_code_create,
    store_settings_record,
    terminal_settings_record,
)

# What the back office shows of a token: never its hash.
TOKEN_FIELDS = ("receipt_prefix", "label", "created_at", "last_seen_at", "revoked_at")


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


def _store_of(obj: Any, path: str) -> Store | None:
    for name in path.split("__"):
        if name != "pk":
            obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj if isinstance(obj, Store) else None


def in_store_zone(store: Store | None, response: HttpResponse) -> HttpResponse:
    """Render `response` with the times in `store`'s time zone (the admin's own if none)."""
    return in_zone(store.time_zone if store is not None else None, response)


def store_time(value: datetime | None, store: Store | None) -> str:
    """A moment as the store's clock showed it, with its zone's abbreviation (CET, CEST):
    a list of several stores' records shows each in its own."""
    return zone_time(value, store.time_zone if store is not None else None)


class StoreScoped(_ModelAdmin):
    """Mixed into a back-office page of records that belong to a store through `store_path` (a
    lookup from the model to its Store): a user limited to some stores sees, filters
    and picks only theirs, on every page of it (list, change, history, delete); and its
    times show in that store's time zone (issue 15), the list's each in its row's
    store's, a record's page in its store's."""

    store_path = "terminal__store"

    def get_list_display(self, request: HttpRequest) -> Any:
        return with_time_columns(
            self.model, super().get_list_display(request), self._store_time_column
        )

    def get_list_select_related(self, request: HttpRequest) -> Any:
        related = super().get_list_select_related(request)
        if self.store_path == "pk" or related is True:
            return related
        return [*(related or []), self.store_path]

    def _store_time_column(self, field: models.DateTimeField[Any, Any]) -> Any:
        path = self.store_path

        @admin.display(description=field.verbose_name, ordering=field.name)
        def column(obj: Any) -> str:
            return store_time(getattr(obj, field.name), _store_of(obj, path))

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
        obj = getattr(response, "context_data", None) or {}
        return in_store_zone(_store_of(obj.get("original"), self.store_path), response)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        ids = user_store_ids(request.user)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.store_path}__in": ids})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        ids = user_store_ids(request.user)
        if ids is not None and db_field.related_model is Terminal:
            kwargs["queryset"] = Terminal.objects.filter(store_id__in=ids)
        elif ids is not None and db_field.related_model is Store:
            kwargs["queryset"] = Store.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DeviceTokenInline(admin.TabularInline[DeviceToken, Terminal]):
    model = DeviceToken
    fields = readonly_fields = TOKEN_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Store)
class StoreAdmin(StoreScoped, admin.ModelAdmin[Store]):
    store_path = "pk"
    list_display = ["name", "tax_id", "time_zone", "day_start", "terminal_codes"]
    search_fields = ["name", "tax_id"]
    filter_horizontal = ["managers"]
    fieldsets = [
        (None, {"fields": ["name", "address", "tax_id"]}),
        ("Receipt", {"fields": ["receipt_header", "receipt_footer"]}),
        ("Clock", {"fields": ["time_zone", "day_start", "opens_at", "closes_at"]}),
        ("Back office", {"fields": ["cash_variance_threshold", "managers"]}),
    ]

    @admin.display(description="terminals")
    def terminal_codes(self, obj: Store) -> str:
        return ", ".join(terminal.code for terminal in obj.terminals.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("terminals")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> Any:
        # Who is limited to which store is the head office's to say, not a store's.
        if user_store_ids(request.user) is not None:
            return ["managers"]
        return []

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # What a store prints and when its day turns matter to an audit, as a till's
        # settings do: each change goes on the server's journal chain.
        fields = form.changed_data if change else list(form.fields)
        before = {name: form.initial.get(name) for name in fields}
        if "managers" in before:
            before["managers"] = sorted(user.get_username() for user in before["managers"] or [])
        store_settings_record(
            store=form.instance,
            fields=fields,
            before=before,
            by=request.user.get_username(),
            created=not change,
        )


@admin.register(Terminal)
class TerminalAdmin(StoreScoped, admin.ModelAdmin[Terminal]):
    store_path = "store"
    list_display = ["name", "code", "store", "language", "proxy_url", "currency", "active"]
    list_filter = [("store", admin.RelatedOnlyFieldListFilter), "active"]
    list_select_related = ["store"]
    filter_horizontal = ["payment_methods", "refund_payment_methods"]
    inlines = [DeviceTokenInline]
    actions = ["new_pairing_code"]
    # The proxy is a local HTTP service: a URL typed without a scheme means http.
    formfield_overrides = {
        models.URLField: {"form_class": forms.URLField, "assume_scheme": "http"},
    }
    fieldsets = [
        (
            None,
            {"fields": ["name", "code", "store", "active", "language", "currency"]},
        ),
        ("Payment", {"fields": ["payment_methods"]}),
        ("Refunds", {"fields": ["refund_payment_methods", "recent_order_days"]}),
        ("Till", {"fields": ["proxy_url", "drawer_policy", "discount_limit", "barcode_patterns"]}),
        (
            "Day close",
            {
                "fields": [
                    "blind_close",
                    "cash_move_slip",
                    "variance_amount",
                    "variance_percent",
                ]
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "recent_order_days" and field is not None:
            field.required = False  # left out of a form, the terminal keeps its days
        return field

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A till's settings and receipt texts matter to what it prints: each change goes
        # on the server's journal chain, once the payment methods are saved too.
        terminal = form.instance
        fields = form.changed_data if change else list(form.fields)
        before = {name: form.initial.get(name) for name in fields}
        for methods in ("payment_methods", "refund_payment_methods"):
            if methods in before:
                before[methods] = sorted(m.name for m in before[methods] or [])
        if before.get("store") is not None:
            before["store"] = str(Store.objects.filter(pk=before["store"]).first())
        terminal_settings_record(
            terminal=terminal,
            fields=fields,
            before=before,
            by=request.user.get_username(),
            created=not change,
        )

    @admin.action(description="Show a new pairing code")
    def new_pairing_code(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset:
            code = pairing_code_create(terminal=terminal)
            messages.success(
                request,
                f"Pairing code for {terminal.name}: {code} — enter it on the terminal at /pos/ "
                "within 30 minutes. It works once and is not shown again.",
            )


@admin.register(DeviceToken)
class DeviceTokenAdmin(StoreScoped, admin.ModelAdmin[DeviceToken]):
    list_display = readonly_fields = ("terminal", *TOKEN_FIELDS)
    list_filter = [("terminal", admin.RelatedOnlyFieldListFilter)]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke (the terminal must be paired again)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[DeviceToken]) -> None:
        for token in queryset:
            device_token_revoke(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin[PaymentMethod]):
    list_display = [
        "name",
        "is_cash",
        "active",
        "sort_order",
        "variance_amount",
        "variance_percent",
    ]
