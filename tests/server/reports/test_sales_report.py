"""The sales summary by dimension, its business days, the accountant's month per tax
rate, and its CSV and XLSX files parsed back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from kassa.server.orders.models import Order, OrderLine
from kassa.server.reports.sales import (
    Dimension,
    ReportFilter,
    period_totals,
    sales_report,
    voids_by_day,
)

from ..conftest import Device, OrderBuilder, Shop

DAYS = [
    datetime(2026, 3, day, hour, tzinfo=UTC)
    for day, hour in ((2, 9), (2, 17), (3, 2), (9, 12), (30, 23), (31, 10))
]


@pytest.fixture
def month(device: Device, orders: OrderBuilder, shop: Shop) -> list[Order]:
    """March 2026: orders at both tax rates, cash and card, two cashiers, one before the
    day start (02:00, counted to the day before), and one in April."""
    batch = []
    for i, at in enumerate(DAYS):
        lines = [orders.line(shop.cola, str(i + 1)), orders.line(shop.bread, "1")]
        if i % 2:
            lines.append(orders.line(shop.repair, "1", discount="10"))
        order = orders.order(
            lines, cash="500.00" if i % 3 == 0 else None, created_at=at.isoformat()
        )
        if i == 4:
            order["cashier_id"] = shop.maria.pk
        batch.append(order)
    batch.append(orders.order(created_at=datetime(2026, 4, 1, 10, tzinfo=UTC).isoformat()))
    assert device.post("orders/sync", {"orders": batch}).status_code == 200
    return list(Order.objects.filter(created_at__month=3, created_at__year=2026))


MARCH = ReportFilter(start=datetime(2026, 3, 1).date(), end=datetime(2026, 3, 31).date())


def test_every_dimension_adds_up_to_the_orders(month: list[Order]) -> None:
    gross = sum((o.total_gross for o in month), Decimal(0))
    lines = OrderLine.objects.filter(order__in=month)
    for dimension in Dimension:
        report = sales_report(dimension, MARCH)
        if dimension == Dimension.PAYMENT_METHOD:
            assert report.totals["kept"] == gross, dimension
        else:
            assert report.totals["gross"] == gross, dimension
            assert sum(row["gross"] for row in report.rows) == gross, dimension
        if "tickets" in report.totals:
            assert report.totals["tickets"] == len(month), dimension
        if "lines" in report.totals:
            assert report.totals["lines"] == lines.count(), dimension
    by_cashier = {
        r["cashier_name"]: r["tickets"] for r in sales_report(Dimension.CASHIER, MARCH).rows
    }
    assert by_cashier == {"Alice": 5, "Maria": 1}
    by_rate = {r["tax_rate"]: r["lines"] for r in sales_report(Dimension.TAX_RATE, MARCH).rows}
    assert by_rate == {Decimal(9): 6, Decimal(21): 9}


def test_a_sale_before_the_day_start_counts_to_the_day_before(month: list[Order]) -> None:
    days = {row["day"].day: row["tickets"] for row in sales_report(Dimension.DAY, MARCH).rows}
    # 3 March 02:00 is still the business day of 2 March (it starts at 04:00)
    assert days == {2: 3, 9: 1, 30: 1, 31: 1}
    hours = {row["hour"]: row["tickets"] for row in sales_report(Dimension.HOUR, MARCH).rows}
    assert hours == {2: 1, 9: 1, 10: 1, 12: 1, 17: 1, 23: 1}


def test_the_month_per_tax_rate_is_the_sum_of_its_days_to_the_cent(month: list[Order]) -> None:
    whole = {row["tax_rate"]: row for row in sales_report(Dimension.TAX_RATE, MARCH).rows}
    summed: dict[Decimal, dict[str, Decimal]] = {}
    for day in range(1, 32):
        one = ReportFilter(start=MARCH.start.replace(day=day), end=MARCH.start.replace(day=day))
        for row in sales_report(Dimension.TAX_RATE, one).rows:
            into = summed.setdefault(
                row["tax_rate"], {"net": Decimal(0), "tax": Decimal(0), "gross": Decimal(0)}
            )
            for name in into:
                into[name] += row[name]
    assert set(summed) == set(whole)
    for rate, figures in summed.items():
        for name in ("net", "tax", "gross"):
            assert whole[rate][name] == figures[name], (rate, name)
            assert whole[rate][name] == whole[rate][name].quantize(Decimal("0.01"))
        assert whole[rate]["net"] + whole[rate]["tax"] == whole[rate]["gross"]


def test_totals_and_voids_count_business_days_and_voided_lines_apart(
    month: list[Order], device: Device, orders: OrderBuilder, shop: Shop
) -> None:
    # given, besides the month, a sale with a voided line at 1 April 02:00 UTC: before
    # the day start, so still 31 March's business day (the store's 04:00)
    late = orders.order(
        [orders.line(shop.cola, "1")], created_at=datetime(2026, 4, 1, 2, tzinfo=UTC).isoformat()
    )
    late["lines"].append({**orders.line(shop.cola, "2"), "voided": True})
    assert device.post("orders/sync", {"orders": [late]}).status_code == 200
    stored = Order.objects.get(uuid=late["uuid"])
    # then March's totals have it, as every dimension does, and its voided line is in none
    totals = period_totals(MARCH)
    gross = sum((o.total_gross for o in month), Decimal(0)) + stored.total_gross
    assert (totals["orders"], totals["gross"]) == (len(month) + 1, gross)
    for dimension in (Dimension.DAY, Dimension.PRODUCT, Dimension.TAX_RATE):
        assert sales_report(dimension, MARCH).totals["gross"] == gross, dimension
    # and the voids count it on 31 March
    (voids,) = voids_by_day(MARCH)
    assert (voids["day"].day, voids["voided_lines"], voids["voided"]) == (31, 1, Decimal("1.98"))


def _export(client: Client, dimension: str, kind: str, **extra: Any) -> Any:
    query = {"start": "2026-03-01", "end": "2026-03-31", "dimension": dimension, "format": kind}
    return client.get("/admin/reports/salessummary/export/", {**query, **extra})


@pytest.mark.parametrize("dimension", [d.value for d in Dimension])
def test_csv_and_xlsx_parse_back_to_the_report(
    admin_client: Client, month: list[Order], dimension: str
) -> None:
    report = sales_report(Dimension(dimension), MARCH)
    columns = [name for name, _ in report.columns]
    # CSV: every value as the report has it
    answer = _export(admin_client, dimension, "csv")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))
    assert rows[0] == [label for _, label in report.columns]
    body, total = rows[1:-1], rows[-1]
    assert len(body) == len(report.rows)
    for parsed, row in zip(body, report.rows, strict=True):
        for name, text in zip(columns, parsed, strict=True):
            value = row[name]
            expected = (
                ""
                if value is None
                else (value.isoformat() if hasattr(value, "isoformat") else f"{value}")
            )
            assert text == expected, (name, text, value)
    assert total[0] == "Total"
    # XLSX: numbers as numbers, equal to the report's at their places
    answer = _export(admin_client, dimension, "xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[1] == tuple(label for _, label in report.columns)
    for parsed, row in zip(values[2:-1], report.rows, strict=True):
        for name, cell in zip(columns, parsed, strict=True):
            value = row[name]
            if isinstance(value, Decimal):
                assert (
                    Decimal(str(cell)).quantize(
                        value.as_tuple().exponent and Decimal(1).scaleb(value.as_tuple().exponent)
                    )
                    == value
                ), name  # type: ignore[arg-type]
            elif hasattr(value, "isoformat"):
                assert cell.date() == value  # type: ignore[union-attr]
            else:
                assert cell == value, name
    gross_column = "kept" if dimension == "payment_method" else "gross"
    assert (
        Decimal(str(values[-1][columns.index(gross_column)])).quantize(Decimal("0.01"))
        == report.totals[gross_column]
    )


def test_bad_filters_are_a_clear_400(admin_client: Client, month: list[Order]) -> None:
    answer = _export(admin_client, "day", "csv", end="2026-02-01")
    assert answer.status_code == 400
    assert "The period ends before it starts." in answer.content.decode()


def test_the_summary_page_shows_the_chosen_dimension_with_its_files(
    admin_client: Client, month: list[Order]
) -> None:
    page = admin_client.get(
        "/admin/reports/salessummary/",
        {"start": "2026-03-01", "end": "2026-03-31", "dimension": "product"},
    )
    assert page.status_code == 200
    assert page.context["report"].dimension == Dimension.PRODUCT
    html = page.content.decode()
    assert "Sales per product, 2026-03-01 – 2026-03-31" in html
    assert "format=xlsx" in html and "dimension=product" in html
    assert "Repair hour" in html
    _ = timedelta
