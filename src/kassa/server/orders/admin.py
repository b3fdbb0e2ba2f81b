from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from kassa.server.common.admin import AcknowledgementFilter, ImportAdmin, ReadOnlyAdminMixin
from kassa.server.terminals.admin import StoreScoped
from kassa.server.terminals.selectors import user_store_ids

from .errors import OrderError
from .importer import outbox_import
from .models import (
    AbandonedOrder,
    Order,
    OrderApproval,
    OrderLine,
    Payment,
    RefundFlag,
    SaleReview,
)
from .services import order_acknowledge, refund_flags_acknowledge, sale_reviews_acknowledge


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
            "list_price",
            "voided",
            "approved_by",
            "unknown_product_id",
            "unknown_tax_id",
            "unknown_approver_id",
            "original_line",
            "reason",
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


class ApprovalInline(ReadOnlyInline):
    """The approvals the order's restricted changes used (docs/permissions.md)."""

    model = OrderApproval
    fields = readonly_fields = tuple[str, ...](
        (
            "action",
            "subject",
            "asked_by_id",
            "approved_by_id",
            "approver_role",
            "role_revision",
            "reason",
            "note",
            "before",
            "after",
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
        "kind",
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
        "kind",
        ("terminal", admin.RelatedOnlyFieldListFilter),
        "source",
        ("cashier", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["receipt_number", "=uuid"]
    date_hierarchy = "created_at"
    list_select_related = ["terminal", "cashier", "acknowledgement"]
    readonly_fields = ["acknowledged", "journal", "original_order", "refunds", "refund_flags"]
    inlines = [OrderLineInline, PaymentInline, ApprovalInline]
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

    @admin.display(description="original")
    def original_order(self, order: Order) -> SafeString | str:
        """A refund's or exchange's original sale (docs/refunds.md)."""
        if order.original is not None:
            return _order_link(order.original)
        if order.original_uuid:
            return f"{order.original_uuid} (not on the server)"
        return "blind return (no receipt)" if order.kind != "sale" else "—"

    @admin.display(description="refunds of this order")
    def refunds(self, order: Order) -> SafeString | str:
        """Each refund and exchange of this sale, the other direction."""
        found = list(order.refunds.order_by("created_at"))
        if not found:
            return "none"
        return format_html_join(", ", "{} ({})", ((_order_link(r), r.total_gross) for r in found))

    @admin.display(description="refund flags")
    def refund_flags(self, order: Order) -> str:
        flags = [f"{flag.code}: {flag.message}" for flag in order.refund_flags.all()]
        return "\n".join(flags) or "none"

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
        refunds = RefundFlag.objects.filter(acknowledged_at__isnull=True)
        if ids is not None:
            to_review = to_review.filter(terminal__store__in=ids)
            sales = sales.filter(terminal__store__in=ids)
            refunds = refunds.filter(order__terminal__store__in=ids)
        extra_context = {
            **(extra_context or {}),
            "to_review": to_review.count(),
            "sales_to_review": sales.count(),
            "refunds_to_review": refunds.count(),
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


def _order_link(order: Order) -> SafeString:
    url = reverse("admin:orders_order_change", args=[order.pk])
    return format_html('<a href="{}">{} ({})</a>', url, order.receipt_number, order.kind)


class RefundFlagFilter(AcknowledgementFilter):
    title = "review"
    parameter_name = "review"
    open_label = "To review"


@admin.register(RefundFlag)
class RefundFlagAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[RefundFlag]):
    """Paid refunds that break a rule (an over-refund from two tills offline, a refund of
    a refund, amounts not the original's): stored all the same; a manager looks and
    acknowledges, which records who and when."""

    store_path = "order__terminal__store"
    list_display = ["order", "code", "original", "detected_at", "acknowledged"]
    list_filter = [RefundFlagFilter, "code"]
    search_fields = ["=order__uuid", "order__receipt_number"]
    list_select_related = ["order", "order__original", "acknowledged_by"]
    readonly_fields = ["message"]
    actions = ["acknowledge"]

    @admin.display(description="original")
    def original(self, flag: RefundFlag) -> SafeString | str:
        return _order_link(flag.order.original) if flag.order.original else "—"

    @admin.display(description="acknowledged")
    def acknowledged(self, flag: RefundFlag) -> str:
        if flag.acknowledged_at is None:
            return "to review"
        return f"by {flag.acknowledged_by} at {flag.acknowledged_at:%Y-%m-%d %H:%M:%S %Z}"

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.acknowledge_order")

    @admin.action(permissions=["acknowledge"], description="Acknowledge the selected refund flags")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[RefundFlag]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = refund_flags_acknowledge(flag_ids=ids, user=request.user)  # type: ignore[arg-type]
        messages.success(request, f"{count} refund flags acknowledged.")


@admin.register(AbandonedOrder)
class AbandonedOrderAdmin(ReadOnlyAdminMixin, StoreScoped, admin.ModelAdmin[AbandonedOrder]):
    """Orders abandoned at a till with lines, from their ORDER_ABANDONED journal entries;
    flagged when no one allowed to approved it (docs/permissions.md). Per store, in the
    store's time zone (StoreScoped)."""

    list_display = [
        "terminal",
        "seq",
        "abandoned_at",
        "cashier_name",
        "total",
        "approved_by_name",
        "review_code",
    ]
    list_filter = [("terminal", admin.RelatedOnlyFieldListFilter), "review_code"]
    search_fields = ["=uuid", "cashier_name"]
    readonly_fields = [f.name for f in AbandonedOrder._meta.fields]
