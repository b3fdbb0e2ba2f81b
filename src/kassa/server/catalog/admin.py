from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kassa.server.common.admin import ImportAdmin

from .barcodes import BarcodeError, barcode_normalise
from .importer import product_import
from .models import Barcode, Category, Product, Tax
from .services import (
    products_delete,
    products_set_active,
    products_touch,
    tax_delete,
    tax_save,
)


class BarcodeForm(forms.ModelForm[Barcode]):
    class Meta:
        model = Barcode
        fields = ["code"]

    def clean_code(self) -> str:
        try:
            return barcode_normalise(self.cleaned_data["code"])
        except BarcodeError as exc:
            raise forms.ValidationError(exc.message) from None


class BarcodeInline(admin.TabularInline[Barcode, Product]):
    model = Barcode
    form = BarcodeForm
    extra = 1


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV: name, ref, barcodes, category, price, tax, unit, "
        "weighed, active (see docs/import.md)"
    )
    partial = forms.BooleanField(
        required=False,
        label="Import the good rows even if some rows have errors",
        help_text="Without this, a file with any bad row imports nothing.",
    )


@admin.register(Product)
class ProductAdmin(ImportAdmin[Product]):
    list_display = ["name", "ref", "category", "price", "tax", "unit", "weighed", "active"]
    list_filter = ["active", "weighed", "tax", "category"]
    search_fields = ["name", "ref", "barcodes__code"]
    list_select_related = ["category", "tax"]
    inlines = [BarcodeInline]
    actions = ["deactivate", "activate"]
    change_list_template = "admin/catalog/product/change_list.html"
    import_title = "Import products"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Terminals download what changed since their token: mark the product changed.
        products_touch(product_ids=[form.instance.pk])

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        products_delete(product_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        products_delete(product_ids=list(queryset.values_list("pk", flat=True)))

    @admin.action(description="Deactivate (terminals stop selling them)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        products_set_active(product_ids=queryset.values_list("pk", flat=True), active=False)

    @admin.action(description="Activate")
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        products_set_active(product_ids=queryset.values_list("pk", flat=True), active=True)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            messages.error(request, "You may not import products.")
            return redirect("admin:catalog_product_changelist")
        report = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = product_import(
                form.cleaned_data["file"].read(), partial=form.cleaned_data["partial"]
            )
            level = messages.SUCCESS if report.imported and not report.errors else messages.WARNING
            messages.add_message(request, level, report.summary().splitlines()[0])
        return self.import_page(request, form, report)


@admin.register(Tax)
class TaxAdmin(admin.ModelAdmin[Tax]):
    list_display = ["name", "rate", "price_includes_tax"]

    # A tax rate matters to every till: each change goes on the server's journal chain.
    def save_model(self, request: HttpRequest, obj: Tax, form: Any, change: bool) -> None:
        tax_save(
            tax=obj, by=request.user.get_username(), changed=form.changed_data if change else None
        )

    def delete_model(self, request: HttpRequest, obj: Tax) -> None:
        tax_delete(tax=obj, by=request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tax]) -> None:
        for tax in queryset.order_by("pk"):
            tax_delete(tax=tax, by=request.user.get_username())


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "parent", "sort_order"]
    list_filter = ["parent"]
    search_fields = ["name"]
