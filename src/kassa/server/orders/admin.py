from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kassa.server.common.admin import ImportAdmin, ReadOnlyAdminMixin

from .errors import OrderError
from .importer import outbox_import
from .models import Order, OrderLine, Payment


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline[Any, Order]):
    extra = 0
    can_delete = False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = tuple[str, ...](
        (
            "name",
            "quantity",
            "unit_price",
            "discount",
            "tax_rate",
            "price_includes_tax",
            "net",
            "tax_amount",
            "gross",
            "price_overridden",
            "approved_by",
        )
    )


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = tuple[str, ...](
        (
            "method",
            "amount",
        )
    )


class OutboxImportForm(forms.Form):
    file = forms.FileField(help_text="The file a terminal saved with “Export unsynced orders”.")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, ImportAdmin[Order]):
    """Orders are paid when they arrive: the back office reads them, never edits them."""

    list_display = [
        "receipt_number",
        "terminal",
        "cashier",
        "created_at",
        "total_gross",
        "change",
        "source",
    ]
    list_filter = ["terminal", "source", "cashier"]
    search_fields = ["receipt_number", "=uuid"]
    date_hierarchy = "created_at"
    list_select_related = ["terminal", "cashier"]
    inlines = [OrderLineInline, PaymentInline]
    change_list_template = "admin/orders/order/change_list.html"
    import_title = "Import a terminal's exported orders"

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_superuser:
            messages.error(request, "Only a superuser may import orders.")
            return redirect("admin:orders_order_changelist")
        form = OutboxImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = outbox_import(form.cleaned_data["file"].read())
            except OrderError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, report.summary().splitlines()[0])
        return self.import_page(request, form, report)
