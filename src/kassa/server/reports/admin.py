from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from kassa.server.common.admin import ReadOnlyAdminMixin
from kassa.server.terminals.models import Terminal
from kassa.server.terminals.selectors import terminals_for_user, user_store_ids

from .models import SalesSummary
from .selectors import (
    Period,
    sales_by_day,
    sales_by_payment_method,
    sales_by_product,
    sales_totals,
    voids_by_day,
)


class PeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    terminal = forms.ModelChoiceField(Terminal.objects.all(), required=False, empty_label="all")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A user limited to some stores picks among their terminals only.
        self.fields["terminal"].queryset = terminals_for_user(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data


@admin.register(SalesSummary)
class SalesSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[SalesSummary]):
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        today = timezone.localdate()
        initial = {"start": today - timedelta(days=6), "end": today}
        form = PeriodForm(request.GET or None, initial=initial, user=request.user)
        stores = user_store_ids(request.user)
        start: date = initial["start"]
        end: date = initial["end"]
        terminal_id = None
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            terminal = form.cleaned_data.get("terminal")
            terminal_id = terminal.pk if terminal else None
        period = Period(start, end)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Sales summary {start:%Y-%m-%d} – {end:%Y-%m-%d}",
            "opts": self.model._meta,
            "form": form,
            "totals": sales_totals(period, terminal_id, stores),
            "by_day": sales_by_day(period, terminal_id, stores),
            "by_method": sales_by_payment_method(period, terminal_id, stores),
            "by_product": sales_by_product(period, terminal_id, stores),
            "voids": voids_by_day(period, terminal_id, stores),
        }
        return TemplateResponse(request, "admin/reports/sales_summary.html", context)
