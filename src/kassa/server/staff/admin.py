from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from .errors import StaffError
from .models import Cashier, Reason, Role, RolePermission, RoleRevision
from .services import cashier_set_pin, pin_validate, role_revision_record


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
    list_select_related = ["role"]
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


class RolePermissionInline(admin.TabularInline[RolePermission, Role]):
    model = RolePermission
    extra = 0
    fields = ["action", "mode", "limit"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin[Role]):
    """Roles and what each may do at the till (docs/permissions.md). A change of the
    permissions is recorded as a new revision; tills take it at their next sync."""

    list_display = ["name", "code", "revision"]
    readonly_fields = ["revision"]
    inlines = [RolePermissionInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        role_revision_record(role=form.instance)


@admin.register(RoleRevision)
class RoleRevisionAdmin(admin.ModelAdmin[RoleRevision]):
    """The permissions each role had from when on: the server judges approvals by them."""

    list_display = ["role", "revision", "created_at"]
    list_filter = ["role"]
    readonly_fields = ["role", "revision", "rules", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
