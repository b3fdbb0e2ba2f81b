from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from kassa.server.common.admin import ReadOnlyAdminMixin
from kassa.server.terminals.models import Store, Terminal
from kassa.server.terminals.selectors import stores_for_user, terminals_for_user, user_store_ids

from .exports import CSV_TYPE, XLSX_TYPE, report_csv, report_xlsx
from .models import SalesSummary
from .sales import LABELS, Dimension, ReportFilter, period_totals, sales_report, voids_by_day


class PeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    store = forms.ModelChoiceField(Store.objects.all(), required=False, empty_label="all")
    terminal = forms.ModelChoiceField(Terminal.objects.all(), required=False, empty_label="all")
    dimension = forms.ChoiceField(
        choices=[(d.value, label) for d, label in LABELS.items()],
        initial=Dimension.DAY.value,
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A user limited to some stores picks among their stores and terminals only.
        self.fields["terminal"].queryset = terminals_for_user(user)  # type: ignore[attr-defined]
        self.fields["store"].queryset = stores_for_user(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data


@admin.register(SalesSummary)
class SalesSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[SalesSummary]):
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.export_view)
        return [path("export/", view, name="reports_salessummary_export"), *super().get_urls()]

    def _report_filter(self, request: HttpRequest, form: PeriodForm) -> ReportFilter:
        today = timezone.localdate()
        start, end = today - timedelta(days=6), today
        store = terminal = None
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            store, terminal = form.cleaned_data.get("store"), form.cleaned_data.get("terminal")
        return ReportFilter(
            start=start,
            end=end,
            scope=user_store_ids(request.user),
            store_id=store.pk if store else None,
            terminal_id=terminal.pk if terminal else None,
        )

    @staticmethod
    def _dimension(form: PeriodForm) -> Dimension:
        if form.is_bound and form.is_valid() and form.cleaned_data.get("dimension"):
            return Dimension(form.cleaned_data["dimension"])
        return Dimension.DAY

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The report on screen as a CSV or XLSX file (`format`), for the same filters."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PeriodForm(request.GET or None, user=request.user)
        if not form.is_valid():
            return HttpResponseBadRequest(
                "The report's filters are not valid: " + form.errors.as_text(),
                content_type="text/plain; charset=utf-8",
            )
        report = sales_report(self._dimension(form), self._report_filter(request, form))
        flt = report.filter
        name = f"kassa-sales-{report.dimension.value}-{flt.start:%Y%m%d}-{flt.end:%Y%m%d}"
        if request.GET.get("format") == "xlsx":
            response = HttpResponse(report_xlsx(report), content_type=XLSX_TYPE)
            name += ".xlsx"
        else:
            response = HttpResponse(report_csv(report), content_type=CSV_TYPE)
            name += ".csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The chosen dimension, the period's totals and its voids: each summed by the
        database over the stores' business days, nothing else (issue 15: the month of a
        year of 1,000,000 orders in under 2 s)."""
        today = timezone.localdate()
        initial = {"start": today - timedelta(days=6), "end": today}
        form = PeriodForm(request.GET or None, initial=initial, user=request.user)
        flt = self._report_filter(request, form)
        report = sales_report(self._dimension(form), flt)
        query = request.GET.copy()
        query.setdefault("start", f"{flt.start:%Y-%m-%d}")
        query.setdefault("end", f"{flt.end:%Y-%m-%d}")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Sales summary {flt.start:%Y-%m-%d} – {flt.end:%Y-%m-%d}",
            "opts": self.model._meta,
            "form": form,
            "totals": period_totals(flt),
            "voids": voids_by_day(flt),
            "report": report,
            "export_query": query.urlencode(),
        }
        return TemplateResponse(request, "admin/reports/sales_summary.html", context)
