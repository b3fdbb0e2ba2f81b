from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from .errors import StaffError
from .models import Cashier, Reason
from .services import cashier_set_pin, pin_validate


class CashierForm(forms.ModelForm[Cashier]):
    new_pin = forms.CharField(
        label="PIN",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="4 to 8 digits. Stored hashed and never shown; leave blank to keep the PIN.",
    )

    class Meta:
        model = Cashier
        fields = ["name", "role", "active"]

    def clean_new_pin(self) -> str:
        pin: str = self.cleaned_data.get("new_pin", "")
        if not pin and self.instance.pk is None:
            raise forms.ValidationError("A new cashier needs a PIN.")
        if pin:
            try:
                pin_validate(pin)
            except StaffError as exc:
                raise forms.ValidationError(exc.message) from None
        return pin


@admin.register(Cashier)
class CashierAdmin(admin.ModelAdmin[Cashier]):
    form = CashierForm
    list_display = ["name", "role", "active", "created_at"]
    list_filter = ["role", "active"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Cashier, form: Any, change: bool) -> None:
        pin = form.cleaned_data.get("new_pin")
        if pin:
            cashier_set_pin(cashier=obj, pin=pin, save=False)
        super().save_model(request, obj, form, change)


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin[Reason]):
    list_display = ["action", "label", "code", "restock", "active", "position"]
    list_filter = ["action", "active", "restock"]
    list_editable = ["position", "active"]
    search_fields = ["label", "code"]
