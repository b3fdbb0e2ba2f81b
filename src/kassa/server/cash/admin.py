"""Cash in the back office: sessions, the Zs per terminal and day (variances highlighted,
each Z's full report and its PDF, shown from the stored entry), cash moves and counts.
All read-only: they are records of what happened at the tills."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from kassa.server.common.admin import ReadOnlyAdminMixin
from kassa.server.terminals.admin import StoreScoped, in_store_zone

from .models import CashCount, CashMove, CashSession, PeriodClose, ZCheck, ZReport
from .selectors import z_payload
from .ztext import z_text

ALERT = '<strong style="color: #ba2121">{}</strong>'


@admin.register(CashSession)
class CashSessionAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[CashSession]):
    list_display = [
        "terminal",
        "state",
        "opened_by",
        "opened_at",
        "opening_float",
        "closed_at",
        "counted_cash",
        "expected_cash",
        "difference",
    ]
    list_filter = ["state", ("terminal", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "opened_at"


def _review(obj: CashMove | CashCount) -> str:
    if not obj.review_code:
        return ""
    return format_html(ALERT, obj.get_review_code_display())


@admin.register(ZReport)
class ZReportAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[ZReport]):
    list_display = [
        "terminal",
        "z_no",
        "business_day",
        "closed_at",
        "cashier_name",
        "tickets",
        "gross",
        "variance_shown",
        "checked",
        "pdf",
    ]
    list_display_links = ["z_no"]
    list_filter = [("terminal", admin.RelatedOnlyFieldListFilter), "over_limit", "verification"]
    date_hierarchy = "business_day"
    ordering = ["-business_day", "terminal", "-z_no"]
    list_select_related = ["terminal"]

    @admin.display(description="variance", ordering="variance")
    def variance_shown(self, obj: ZReport) -> str:
        if obj.variance is None:
            return "–"
        if obj.over_limit:
            return format_html(ALERT, f"{obj.variance} (over limit)")
        if obj.variance:
            return format_html('<strong style="color: #b35c00">{}</strong>', obj.variance)
        return str(obj.variance)

    @admin.display(description="server check", ordering="verification")
    def checked(self, obj: ZReport) -> str:
        if obj.verification == ZCheck.MISMATCH:
            return format_html(ALERT, "MISMATCH")
        return obj.get_verification_display()

    @admin.display(description="PDF")
    def pdf(self, obj: ZReport) -> str:
        return format_html('<a href="{}">PDF</a>', reverse("admin:cash_zreport_pdf", args=[obj.pk]))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.pdf_view)
        return [path("<int:pk>/pdf/", view, name="cash_zreport_pdf"), *super().get_urls()]

    def _z(self, request: HttpRequest, object_id: str | int) -> ZReport:
        z = self.get_queryset(request).select_related("entry", "terminal").filter(pk=object_id)
        found: ZReport | None = z.first()
        if found is None or not self.has_view_permission(request, found):
            raise Http404("No such Z report.")
        return found

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The Z's full report, as the till wrote it (its entry's payload)."""
        if not object_id.isdigit():
            raise Http404("No such Z report.")
        z = self._z(request, object_id)
        payload = z_payload(z)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{z.terminal} — Z {z.z_no} ({z.business_day})",
            "opts": self.model._meta,
            "original": z,
            "z": z,
            "lines": z_text(payload),
            "canonical": bytes(z.entry.canonical).decode("utf-8", "replace"),
            "pdf_url": reverse("admin:cash_zreport_pdf", args=[z.pk]),
            "mismatch": z.verification == ZCheck.MISMATCH,
        }
        page = TemplateResponse(request, "admin/cash/zreport/report.html", context)
        return in_store_zone(z.terminal.store, page)

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        z = self._z(request, pk)
        title = f"Z {z.z_no} {z.terminal.code} {z.business_day}"
        from .zpdf import z_pdf  # here: fpdf takes 0.7 s to import, in every command's start

        response = HttpResponse(z_pdf(z_text(z_payload(z)), title=title), "application/pdf")
        name = f"z-{z.terminal.code}-{z.z_no:06d}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(CashMove)
class CashMoveAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[CashMove]):
    list_display = [
        "at",
        "terminal",
        "kind",
        "amount",
        "reason",
        "note",
        "cashier_name",
        "session",
        "review",
    ]
    list_filter = [("terminal", admin.RelatedOnlyFieldListFilter), "kind", "reason", "review_code"]
    date_hierarchy = "at"
    list_select_related = ["terminal", "session"]
    readonly_fields = fields = (
        "uuid",
        "terminal",
        "session",
        "session_uuid",
        "kind",
        "amount",
        "reason",
        "note",
        "approval",
        "at",
        "cashier_id",
        "cashier_name",
        "seq",
        "received_at",
        "review_code",
        "review_message",
    )

    @admin.display(description="review")
    def review(self, obj: CashMove) -> str:
        return _review(obj)


@admin.register(CashCount)
class CashCountAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[CashCount]):
    list_display = ["at", "terminal", "session", "attempt", "blind", "cashier_name", "review"]
    list_filter = [("terminal", admin.RelatedOnlyFieldListFilter), "blind"]
    list_select_related = ["terminal", "session"]
    readonly_fields = fields = (
        "terminal",
        "session",
        "session_uuid",
        "attempt",
        "blind",
        "methods",
        "at",
        "cashier_id",
        "cashier_name",
        "seq",
        "received_at",
        "review_code",
        "review_message",
    )

    @admin.display(description="review")
    def review(self, obj: CashCount) -> str:
        return _review(obj)


@admin.register(PeriodClose)
class PeriodCloseAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[PeriodClose]):
    list_display = ["terminal", "period", "key", "at", "checked"]
    list_filter = [("terminal", admin.RelatedOnlyFieldListFilter), "period", "verification"]
    readonly_fields = fields = (
        "terminal",
        "period",
        "key",
        "at",
        "seq",
        "verification",
        "verification_detail",
    )

    @admin.display(description="server check", ordering="verification")
    def checked(self, obj: PeriodClose) -> str:
        if obj.verification == ZCheck.MISMATCH:
            return format_html(ALERT, "MISMATCH")
        return obj.get_verification_display()
