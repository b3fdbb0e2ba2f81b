from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from kassa.server.common.admin import AcknowledgementFilter, ImportAdmin, ReadOnlyAdminMixin
from kassa.server.terminals.admin import StoreScoped
from kassa.server.terminals.selectors import user_store_ids

from .errors import OrderError
from .importer import outbox_import
from .models import Order, OrderLine, Payment, SaleReview
from .services import order_acknowledge, sale_reviews_acknowledge


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
            "unknown_product_id",
            "unknown_tax_id",
            "unknown_approver_id",
        )
    )


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = tuple[str, ...](
        (
            "method",
            "amount",
            "unknown_method_id",
        )
    )


class OutboxImportForm(forms.Form):
    file = forms.FileField(help_text="The file a terminal saved with “Export unsynced orders”.")


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"
    TO_REVIEW = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (self.TO_REVIEW, "To review"),
            ("acknowledged", "Acknowledged"),
            ("none", "No review needed"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        under_review = queryset.exclude(review_code="")
        if self.value() == self.TO_REVIEW:
            return under_review.filter(acknowledgement__isnull=True)
        if self.value() == "acknowledged":
            return under_review.filter(acknowledgement__isnull=False)
        if self.value() == "none":
            return queryset.filter(review_code="")
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, StoreScoped, ImportAdmin[Order]):
    """Orders are paid when they arrive: the back office reads them, never edits them.
    An order that broke a rule is *to review* until a manager acknowledges it, which
    records who and when beside the order, never in it."""

    list_display = [
        "receipt_number",
        "terminal",
        "cashier",
        "created_at",
        "total_gross",
        "change",
        "source",
        "review",
    ]
    list_filter = [
        ReviewFilter,
        ("terminal", admin.RelatedOnlyFieldListFilter),
        "source",
        ("cashier", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["receipt_number", "=uuid"]
    date_hierarchy = "created_at"
    list_select_related = ["terminal", "cashier", "acknowledgement"]
    readonly_fields = ["acknowledged", "journal"]
    inlines = [OrderLineInline, PaymentInline]
    actions = ["acknowledge"]
    change_list_template = "admin/orders/order/change_list.html"
    import_title = "Import a terminal's exported orders"

    @admin.display(description="review")
    def review(self, order: Order) -> str:
        if not order.review_code:
            return ""
        acknowledged = hasattr(order, "acknowledgement")
        return f"{order.review_code} ({'acknowledged' if acknowledged else 'to review'})"

    @admin.display(description="acknowledged")
    def acknowledged(self, order: Order) -> str:
        if not hasattr(order, "acknowledgement"):
            return "not yet" if order.review_code else "no review needed"
        ack = order.acknowledgement
        return f"by {ack.acknowledged_by} at {ack.acknowledged_at:%Y-%m-%d %H:%M:%S %Z}"

    @admin.display(description="journal")
    def journal(self, order: Order) -> str:
        reviews = [f"{r.code}: {r.message}" for r in order.sale_reviews.all()]
        return "\n".join(reviews) or "no SALE of the journal disagrees with it"

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.acknowledge_order")

    @admin.action(
        permissions=["acknowledge"], description="Acknowledge the selected orders under review"
    )
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = order_acknowledge(order_ids=ids, user=request.user)  # type: ignore[arg-type]
        skipped = len(ids) - count
        note = f"; {skipped} needed no review or were acknowledged before" if skipped else ""
        messages.success(request, f"{count} orders acknowledged{note}.")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        ids = user_store_ids(request.user)
        to_review = Order.objects.exclude(review_code="").filter(acknowledgement__isnull=True)
        sales = SaleReview.objects.filter(acknowledged_at__isnull=True)
        if ids is not None:
            to_review = to_review.filter(terminal__store__in=ids)
            sales = sales.filter(terminal__store__in=ids)
        extra_context = {
            **(extra_context or {}),
            "to_review": to_review.count(),
            "sales_to_review": sales.count(),
        }
        return super().changelist_view(request, extra_context)  # type: ignore[return-value]

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


class SaleReviewFilter(AcknowledgementFilter):
    title = "review"
    parameter_name = "review"
    open_label = "To review"


@admin.register(SaleReview)
class SaleReviewAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[SaleReview]):
    """SALEs of the tills' journals that disagree with their orders (or name none): read
    only; a manager acknowledges them, which records who and when."""

    list_display = ["terminal", "seq", "code", "order", "order_uuid", "detected_at", "acknowledged"]
    list_filter = [SaleReviewFilter, "code", ("terminal", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=order_uuid"]
    list_select_related = ["terminal", "order", "acknowledged_by"]
    actions = ["acknowledge"]

    @admin.display(description="acknowledged")
    def acknowledged(self, review: SaleReview) -> str:
        if review.acknowledged_at is None:
            return "to review"
        return f"by {review.acknowledged_by} at {review.acknowledged_at:%Y-%m-%d %H:%M:%S %Z}"

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.acknowledge_order")

    @admin.action(permissions=["acknowledge"], description="Acknowledge the selected SALE reviews")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[SaleReview]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = sale_reviews_acknowledge(review_ids=ids, user=request.user)  # type: ignore[arg-type]
        skipped = len(ids) - count
        note = f"; {skipped} were acknowledged before" if skipped else ""
        messages.success(request, f"{count} SALE reviews acknowledged{note}.")
