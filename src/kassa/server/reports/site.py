"""The back office's frame: Django's admin, titled Kassa, its header naming the user's
store, and the dashboard as its index page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kassa.server.terminals.selectors import stores_for_user, user_store_ids

from .alerts import alert_can_acknowledge, alert_find, open_alerts, recent_acknowledgements
from .dashboard import payment_split, sales_by_day, sales_by_hour, store_figures, tills


class KassaAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Kassa")
    site_title = gettext_lazy("Kassa back office")
    index_title = gettext_lazy("Dashboard")
    index_template = "admin/kassa/dashboard.html"

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        if getattr(request, "user", None) is not None and request.user.is_active:
            names = list(stores_for_user(request.user).values_list("name", flat=True)[:4])
            context["kassa_stores"] = names
            context["kassa_limited"] = user_store_ids(request.user) is not None
        return context

    def get_urls(self) -> list[URLResolver | URLPattern]:
        acknowledge = self.admin_view(require_POST(self.acknowledge_view))
        return [
            path("dashboard/acknowledge/", acknowledge, name="kassa_acknowledge"),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        now = timezone.now()
        stores = list(stores_for_user(request.user))
        figures = [store_figures(store, now) for store in stores]
        chosen = next(
            (store for store in stores if str(store.pk) == request.GET.get("store")),
            stores[0] if stores else None,
        )
        charts = None
        if chosen is not None:
            charts = {
                "store": chosen.name,
                "hourly": sales_by_hour(chosen, now),
                "daily": sales_by_day(chosen, now),
                "methods": payment_split(chosen, now),
            }
        store_ids = user_store_ids(request.user)
        alerts = [
            (alert, alert_can_acknowledge(request.user, alert))  # type: ignore[arg-type]
            for alert in open_alerts(store_ids, now)
        ]
        chart_data = None
        if charts is not None:
            chart_data = {
                **charts,
                "labels": {
                    "today": _("Today"),
                    "lastWeek": _("Same weekday last week"),
                    "sales": _("Sales"),
                    "paid": _("Paid"),
                },
            }
        context = {
            "chart_data": chart_data,
            "figures": figures,
            "stores": stores,
            "chosen": chosen,
            "charts": charts,
            "tills": tills(stores, now),
            "alerts": alerts,
            "acknowledged": recent_acknowledgements(store_ids),
            "now": now,
            **(extra_context or {}),
        }
        return super().index(request, context)

    def acknowledge_view(self, request: HttpRequest) -> HttpResponse:
        from .services import alert_acknowledge

        token = request.POST.get("alert", "")
        alert = alert_find(token, user_store_ids(request.user), timezone.now())
        back = HttpResponseRedirect(reverse("admin:index") + "#alerts")
        if alert is None:
            messages.warning(request, _("This alert is not open any more."))
            return back
        if not alert_can_acknowledge(request.user, alert):  # type: ignore[arg-type]
            messages.error(request, _("You may not acknowledge this alert."))
            return back
        if alert_acknowledge(alert=alert, user=request.user):  # type: ignore[arg-type]
            messages.success(
                request,
                _("Acknowledged: %(title)s (by %(user)s).")
                % {"title": alert.title, "user": request.user.get_username()},
            )
        else:
            messages.info(request, _("Someone acknowledged it first."))
        return back
