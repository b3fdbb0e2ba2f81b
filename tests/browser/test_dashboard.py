"""The back office's dashboard in Chromium, over a real server: the figures are the
orders this test sold (through the API, as a till sends them), the charts are drawn, an
order flagged on ingest is an alert, and acknowledging it records who."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from kassa.money import line_price, total

from .conftest import KassaServer

pytestmark = pytest.mark.browser


class ApiTill:
    """A till over HTTP: paired with a code from the back office, then syncing."""

    def __init__(self, server: KassaServer):
        self.server = server
        answer = self.call("pair", {"code": server.new_pairing_code()}, token=None)
        self.token = answer["token"]
        self.prefix = answer["terminal"]["receipt_prefix"]
        ((self.cashier,),) = server.query("SELECT id FROM staff_cashier WHERE name = 'Alice'")
        self.methods = dict(server.query("SELECT name, id FROM terminals_paymentmethod"))
        self.session = str(uuid.uuid4())
        self.call(
            "sessions",
            {
                "uuid": self.session,
                "cashier_id": self.cashier,
                "opened_at": datetime.now(UTC).isoformat(),
                "opening_float": "100.00",
            },
        )
        self.receipts = 0

    def call(self, path: str, body: Any, token: str | None = "") -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        request = urllib.request.Request(
            f"{self.server.url}/api/v1/{path}", json.dumps(body).encode(), headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def line(self, product: str, quantity: str) -> dict[str, Any]:
        ((pk, price, tax_id, rate, included),) = self.server.query(
            "SELECT p.id, CAST(p.price AS TEXT), t.id, CAST(t.rate AS TEXT), t.price_includes_tax "
            "FROM catalog_product p JOIN catalog_tax t ON t.id = p.tax_id WHERE p.name = ?",
            (product,),
        )
        amount = line_price(
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            discount=Decimal(0),
            rate=Decimal(rate),
            price_includes_tax=bool(included),
        )
        return {
            "product_id": pk,
            "quantity": quantity,
            "unit_price": f"{Decimal(price):.2f}",
            "tax_id": tax_id,
            "tax_rate": f"{Decimal(rate).normalize():f}",
            "price_includes_tax": bool(included),
            "net": str(amount.net),
            "tax": str(amount.tax),
            "gross": str(amount.gross),
            "_amount": amount,
        }

    def order(
        self, lines: list[dict[str, Any]], method: str, paid: str | None = None
    ) -> dict[str, Any]:
        totals = total(line.pop("_amount") for line in lines)
        self.receipts += 1
        amount = Decimal(paid) if paid else totals.gross
        return {
            "uuid": str(uuid.uuid4()),
            "receipt_number": f"{self.prefix}{self.receipts:06d}",
            "session_uuid": self.session,
            "cashier_id": self.cashier,
            "created_at": datetime.now(UTC).isoformat(),
            "lines": lines,
            "payments": [{"method_id": self.methods[method], "amount": str(amount)}],
            "change": str(amount - totals.gross),
            "totals": {"net": str(totals.net), "tax": str(totals.tax), "gross": str(totals.gross)},
        }


def _login(page: Page, server: KassaServer) -> None:
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "kassa-demo")
    page.click("input[type=submit]")


def _painted(page: Page, chart: str) -> int:
    """How many pixels of the chart's canvas are drawn on."""
    return int(
        page.evaluate(
            """(id) => {
              const canvas = document.querySelector(`#${id} canvas`);
              const { width, height } = canvas;
              const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
              let painted = 0;
              for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
              return painted;
            }""",
            chart,
        )
    )


def test_the_dashboard_shows_the_orders_charts_and_alerts(
    server: KassaServer, context: BrowserContext
) -> None:
    # given a till sold three orders today: 2 cola for cash, a loaf by card, and one whose
    # total the till got wrong (stored all the same, flagged on ingest)
    till = ApiTill(server)
    wrong = till.order([till.line("Cola 330 ml", "1")], "Card")
    wrong["totals"]["gross"] = "9.99"
    answer = till.call(
        "orders/sync",
        {
            "orders": [
                till.order([till.line("Cola 330 ml", "2")], "Cash", paid="5.00"),
                till.order([till.line("Sourdough loaf", "1")], "Card"),
                wrong,
            ]
        },
    )
    assert [result["status"] for result in answer["results"]] == ["accepted"] * 3
    till.call(
        "terminal/status",
        {"synced": True, "pending": 0, "printer": "good", "printer_text": "Printer ready"},
    )
    stored = server.query("SELECT CAST(total_gross AS TEXT), review_code FROM orders_order")
    gross = sum(Decimal(g) for g, _ in stored)
    assert gross == Decimal("1.98") + Decimal("3.95") + Decimal("9.99")
    # when the manager opens the back office
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(page, server)
    # then it opens on the dashboard, titled Kassa, naming the store
    assert page.title() == "Dashboard | Kassa back office"
    assert page.inner_text("#site-name").startswith("Kassa")
    assert "Kassa Demo Market" in page.inner_text("#kassa-store")
    # and today's figures are those orders
    row = page.locator("#figures tbody tr").first
    figure = lambda name: row.locator(f"[data-figure={name}]").inner_text()  # noqa: E731
    assert figure("today-sales") == f"{gross:.2f}"
    assert figure("today-tickets") == "3"
    assert figure("today-average") == f"{(gross / 3).quantize(Decimal('0.01'))}"
    assert figure("week-sales") == f"{gross:.2f}"
    # the charts are drawn, by the vendored library
    for chart in ("chart-hourly", "chart-daily", "chart-methods"):
        page.wait_for_selector(f"#{chart}[data-rendered=true] canvas")
        assert _painted(page, chart) > 1000, chart
    assert page.locator("#chart-methods .u-legend").inner_text().strip() != ""
    # the till is listed with what it reported
    pos1 = page.locator("tr[data-till=POS1]")
    assert "Printer ready" in pos1.inner_text()
    assert "silent" not in pos1.inner_text()
    # the flagged order is an alert, linked to it
    alert = page.locator("tr[data-alert^='order_review:']")
    assert alert.count() == 1
    assert "total_mismatch" in alert.inner_text()
    assert wrong["receipt_number"] in alert.inner_text()
    # when the manager acknowledges it
    alert.locator("button", has_text="Acknowledge").click()
    page.wait_for_selector("ul.messagelist li.success")
    # then it is gone from the open alerts, and who and when are recorded
    assert page.locator("tr[data-alert^='order_review:']").count() == 0
    assert "by admin at" in page.inner_text("#acknowledged")
    ((who, order_review),) = server.query(
        "SELECT u.username, o.review_code FROM orders_orderacknowledgement a "
        "JOIN auth_user u ON u.id = a.acknowledged_by_id JOIN orders_order o ON o.id = a.order_id"
    )
    assert (who, order_review) == ("admin", "total_mismatch")
    assert errors == []
