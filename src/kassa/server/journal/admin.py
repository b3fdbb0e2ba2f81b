"""The journal in the back office: read, never edited; integrity alerts first, with the
one thing a person does about them here, acknowledge (who and when are recorded)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from kassa.server.common.admin import (
    AcknowledgementFilter,
    ReadOnlyAdminMixin,
    TerminalCodeScoped,
    terminal_codes_visible,
)

from .models import HeldEntry, IntegrityAlert, ServerEntry, TerminalEntry, TerminalKey
from .services import integrity_alerts_acknowledge

ENTRY_FIELDS = ("seq", "type", "at_text", "key_id", "hash", "sig", "received_at", "canonical_text")


@admin.register(IntegrityAlert)
class IntegrityAlertAdmin(ReadOnlyAdminMixin, TerminalCodeScoped, admin.ModelAdmin[IntegrityAlert]):
    list_display = [
        "state",
        "detected_at",
        "terminal_code",
        "seq",
        "reason",
        "quarantined",
        "detail",
        "acknowledged_by",
        "acknowledged_at",
    ]
    list_filter = [AcknowledgementFilter, "reason", "quarantined", "terminal_code"]
    fields = readonly_fields = (
        "terminal_code",
        "seq",
        "reason",
        "detail",
        "quarantined",
        "canonical_text",
        "hash",
        "sig",
        "detected_at",
        "acknowledged_by",
        "acknowledged_at",
    )
    actions = ["acknowledge"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[IntegrityAlert]:
        # Open alerts first, newest first: the ones a person has still to look at.
        return (
            super()
            .get_queryset(request)
            .order_by(F("acknowledged_at").asc(nulls_first=True), "-detected_at", "-pk")
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        open_alerts = self.get_queryset(request).filter(acknowledged_at__isnull=True).count()
        if open_alerts:
            messages.warning(
                request,
                f"{open_alerts} open integrity alert(s). A quarantined entry holds its "
                "terminal's later entries until it is acknowledged.",
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="state")
    def state(self, obj: IntegrityAlert) -> str:
        if obj.acknowledged_at is None:
            return format_html('<strong style="color: #ba2121">{}</strong>', "OPEN")
        return "acknowledged"

    @admin.display(description="entry as received")
    def canonical_text(self, obj: IntegrityAlert) -> str:
        return bytes(obj.canonical).decode("utf-8", "replace") if obj.canonical else ""

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("journal.change_integrityalert")

    @admin.action(description="Acknowledge (records who and when)", permissions=["acknowledge"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[IntegrityAlert]) -> None:
        count = integrity_alerts_acknowledge(
            alert_ids=list(queryset.values_list("pk", flat=True)), by=request.user.get_username()
        )
        messages.success(request, f"Acknowledged {count} alert(s).")


@admin.register(TerminalEntry)
class TerminalEntryAdmin(ReadOnlyAdminMixin, TerminalCodeScoped, admin.ModelAdmin[TerminalEntry]):
    list_display = ["terminal_code", "seq", "type", "at", "short_hash", "key_id", "received_at"]
    list_filter = ["terminal_code", "type"]
    fields = readonly_fields = ("terminal_code", *ENTRY_FIELDS)
    show_full_result_count = False  # a journal grows without end: no COUNT(*) per page


def _server_zone_note() -> str:
    return (
        f"The server's own chain speaks of no one store: its times are in the server's "
        f"time zone ({settings.TIME_ZONE})."
    )


@admin.register(ServerEntry)
class ServerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ServerEntry]):
    list_display = ["seq", "type", "at", "subject", "short_hash", "key_id"]
    list_filter = ["type", "subject"]
    fields = readonly_fields = ("subject", *ENTRY_FIELDS)
    show_full_result_count = False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        return super().changelist_view(
            request, {"subtitle": _server_zone_note(), **(extra_context or {})}
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        context = {"subtitle": _server_zone_note(), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def has_view_permission(self, request: HttpRequest, obj: ServerEntry | None = None) -> bool:
        # The server's chain speaks of every store: not for a user limited to some.
        if terminal_codes_visible(request) is not None:
            return False
        return super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request) and super().has_module_permission(request)


@admin.register(HeldEntry)
class HeldEntryAdmin(ReadOnlyAdminMixin, TerminalCodeScoped, admin.ModelAdmin[HeldEntry]):
    list_display = ["terminal_code", "seq", "hash", "received_at"]
    list_filter = ["terminal_code"]
    fields = readonly_fields = ("terminal_code", "seq", "hash", "sig", "received_at")


@admin.register(TerminalKey)
class TerminalKeyAdmin(ReadOnlyAdminMixin, TerminalCodeScoped, admin.ModelAdmin[TerminalKey]):
    list_display = ["terminal_code", "key_id", "device_token_id", "registered_at"]
    list_filter = ["terminal_code"]
    fields = readonly_fields = ("terminal_code", "key_id", "device_token_id", "registered_at")
