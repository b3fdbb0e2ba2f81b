"""The Z (and X) report computed from a cash session's journal entries, as the till
computes it (docs/z-report.md; the terminal's domain/z.js): the server recomputes each
Z_CLOSE it receives with this and compares the two exactly.

Pure: entries come in parsed (the object each entry's canonical bytes hold), money as
the decimal strings they carry, figures are counted in integer minor units and go out as
decimal strings with the currency's places. tests/shared/z_cases.json holds this and the
terminal's module to the same answers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kassa.money import (
    DISCOUNT_PLACES,
    QUANTITY_PLACES,
    RATE_PLACES,
    MoneyError,
    round_div,
    to_scaled,
)
from kassa.server.common.types import timestamp_problem

Z_VERSION = 1
TICKETS = frozenset({"SALE", "REFUND"})
_DAY_START = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")


class ZError(ValueError):
    """The entries cannot make a Z (no SESSION_OPEN first, a payload without its figures)."""


# --- money, as domain/money.js counts it ----------------------------------------------


def amount(text: object, places: int) -> int:
    """A decimal string at the currency's places, in minor units (parseAmount)."""
    if not isinstance(text, str):
        raise ZError(f"amount: must be a decimal string, not {type(text).__name__}")
    return _amount(text, places)


@functools.lru_cache(maxsize=65536)
def _amount(text: str, places: int) -> int:
    # A session's figures repeat ("0.99", "2.00"): parsed once each, a Z of 10,000 tickets
    # costs a dictionary lookup per figure. A refusal is not cached.
    try:
        return to_scaled(text, places, "amount")
    except MoneyError as exc:
        raise ZError(str(exc)) from None


def decimal_text(scaled: int, places: int) -> str:
    """Minor units as a decimal string with exactly `places` decimals (formatAmount)."""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    whole, fraction = digits[: len(digits) - places], digits[len(digits) - places :]
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole}.{fraction}" if places else f"{sign}{whole}"


def _scaled(text: object, places: int, field: str) -> int:
    if not isinstance(text, str):
        raise ZError(f"{field}: must be a decimal string")
    try:
        return to_scaled(text, places, field)
    except MoneyError as exc:
        raise ZError(str(exc)) from None


def _js_key(text: str) -> tuple[int, ...]:
    """JavaScript's default string order (UTF-16 code units)."""
    encoded = text.encode("utf-16-be")
    return tuple(int.from_bytes(encoded[i : i + 2], "big") for i in range(0, len(encoded), 2))


# --- the business day -----------------------------------------------------------------


def business_day(at: str, time_zone: str, day_start: str) -> str:
    """The business day of an instant: its date on the store's wall clock less the day
    start, so with a day start of 04:00 a sale at 00:30 belongs to the day before."""
    match = _DAY_START.match(day_start) if isinstance(day_start, str) else None
    if match is None:
        raise ZError(f"day start must be HH:MM, not {day_start!r}")
    try:
        instant = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        raise ZError(f"not a time: {at!r}") from None
    if timestamp_problem(instant) is not None:
        # No offset, or one (or a year) that would overflow moved to the shop's zone.
        raise ZError(f"not a time with its UTC offset: {at!r}")
    wall = instant.astimezone(ZoneInfo(time_zone)).replace(second=0, microsecond=0)
    shifted = wall.replace(tzinfo=None) - timedelta(
        hours=int(match.group(1)), minutes=int(match.group(2))
    )
    return shifted.date().isoformat()


def business_date(at: str, time_zone: str, day_start: str) -> date:
    return date.fromisoformat(business_day(at, time_zone, day_start))


# --- thresholds -----------------------------------------------------------------------


def over_threshold(difference: int, expected: int, limit: Mapping[str, Any], places: int) -> bool:
    """|difference| > amount, or |difference| > percent % of |expected| (any difference
    when nothing was expected and a percentage is set)."""
    diff = abs(difference)
    if diff == 0:
        return False
    limit_amount = limit.get("amount")
    if limit_amount is not None and diff > amount(limit_amount, places):
        return True
    percent = limit.get("percent")
    return percent is not None and diff * 10000 > _scaled(percent, 2, "variance percent") * abs(
        expected
    )


def _method_limit(method: Mapping[str, Any] | None, default: Mapping[str, Any]) -> dict[str, Any]:
    own = (method or {}).get("variance") or {}
    return {
        "amount": own.get("amount") if own.get("amount") is not None else default.get("amount"),
        "percent": own.get("percent") if own.get("percent") is not None else default.get("percent"),
    }


# --- the Z ----------------------------------------------------------------------------


class _Rates:
    """Net, tax and gross per tax rate (as written on the lines)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}

    def add(self, rate: str, net: int, tax: int, gross: int) -> None:
        row = self.rows.setdefault(rate, [0, 0, 0])
        row[0] += net
        row[1] += tax
        row[2] += gross

    def out(self, places: int) -> list[dict[str, str]]:
        ordered = sorted(self.rows.items(), key=lambda item: _scaled(item[0], RATE_PLACES, "rate"))
        return [
            {
                "rate": rate,
                "net": decimal_text(net, places),
                "tax": decimal_text(tax, places),
                "gross": decimal_text(gross, places),
            }
            for rate, (net, tax, gross) in ordered
        ]


def _line_discount(line: Mapping[str, Any], places: int) -> int:
    """round(qty × unit price) less round(qty × unit price × (100 − discount) / 100)."""
    discount = line.get("discount")
    if isinstance(discount, str) and re.fullmatch(r"0(\.0*)?", discount):
        return 0
    base = _scaled(line.get("qty"), QUANTITY_PLACES, "qty") * amount(line.get("unit_price"), places)
    full = round_div(base, 1000)
    rest = 10000 - _scaled(discount, DISCOUNT_PLACES, "discount")
    after = round_div(base * rest, 1000 * 10000)
    return full - after


def z_compute(entries: Sequence[Mapping[str, Any]], context: Mapping[str, Any]) -> dict[str, Any]:
    """The Z (or, with `z_no` and `closed` None, the X report) of a session from its
    entries: every entry from its SESSION_OPEN up to the entry before its PERIOD_CLOSE /
    Z_CLOSE, in seq order. docs/z-report.md says what each field is."""
    try:
        return _compute(entries, context)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ZError(f"an entry lacks what a Z needs: {exc!r}") from None


def _compute(entries: Sequence[Mapping[str, Any]], context: Mapping[str, Any]) -> dict[str, Any]:
    parameters = context["parameters"]
    places: int = parameters["places"]

    def money(value: object) -> int:
        return amount(value, places)

    def text(minor: int) -> str:
        return decimal_text(minor, places)

    if not entries or entries[0].get("type") != "SESSION_OPEN":
        raise ZError("a Z starts at its session's SESSION_OPEN")
    open_ = entries[0]
    session = open_["payload"]["session"]
    methods_by_name = {m["name"]: m for m in parameters["methods"]}
    drawer = next((m["name"] for m in parameters["methods"] if m["cash"]), None)

    sales = {"tickets": 0, "net": 0, "tax": 0, "gross": 0}
    sales_rates = _Rates()
    refunds = {"count": 0, "net": 0, "tax": 0, "gross": 0}
    refund_rates = _Rates()
    refund_reasons: dict[str, list[int]] = {}
    all_rates = _Rates()
    voids = [0, 0]
    abandoned = [0, 0]
    discounts = [0, 0]
    overrides: dict[tuple[int, str], dict[str, Any]] = {}
    override_count = 0
    no_sale: dict[str, int] = {}
    no_sale_count = 0
    payments: dict[str, int] = {}
    change = 0
    moves: list[dict[str, Any]] = []
    seen_moves: set[Any] = set()
    last_count: Mapping[str, Any] | None = None
    attempts = 0
    last_count_seq = 0
    first_receipt = last_receipt = None
    last_ticket: Mapping[str, Any] | None = None

    for entry in entries:
        kind = entry["type"]
        p = entry["payload"]
        if kind in TICKETS:
            sale = kind == "SALE"
            bucket = sales if sale else refunds
            if sale:
                sales["tickets"] += 1
            else:
                refunds["count"] += 1
            bucket["net"] += money(p["totals"]["net"])
            bucket["tax"] += money(p["totals"]["tax"])
            bucket["gross"] += money(p["totals"]["gross"])
            rates = sales_rates if sale else refund_rates
            for line in p["lines"]:
                figures = (money(line["net"]), money(line["tax"]), money(line["amount"]))
                rates.add(line["tax_rate"], *figures)
                all_rates.add(line["tax_rate"], *figures)
                discount = _line_discount(line, places)
                if discount != 0:
                    discounts[0] += 1
                    discounts[1] += discount
                if not sale and line.get("reason"):
                    row = refund_reasons.setdefault(line["reason"], [0, 0])
                    row[0] += 1
                    row[1] += money(line["amount"])
            for payment in p["payments"]:
                payments[payment["method"]] = payments.get(payment["method"], 0) + money(
                    payment["amount"]
                )
            change += money(p["change"])
            if first_receipt is None:
                first_receipt = p["receipt_no"]
            last_receipt = p["receipt_no"]
            last_ticket = p
        elif kind == "LINE_VOID":
            voids[0] += 1
            voids[1] += money(p["line"]["amount"])
        elif kind == "ORDER_ABANDONED":
            abandoned[0] += 1
            abandoned[1] += money(p["total"])
        elif kind == "OVERRIDE":
            override_count += 1
            approver = p["approved_by"]
            key = (approver["id"], p["action"])
            if key not in overrides:
                overrides[key] = {
                    "approver": {"id": approver["id"], "name": approver["name"]},
                    "action": p["action"],
                    "count": 0,
                }
            overrides[key]["count"] += 1
        elif kind == "DRAWER_OPEN":
            no_sale_count += 1
            no_sale[p["reason"]] = no_sale.get(p["reason"], 0) + 1
        elif kind == "CASH_MOVE":
            if p["session"] != session or p["move"] in seen_moves:
                continue  # a move is one move, however often it is written
            seen_moves.add(p["move"])
            moves.append({**p, "seq": entry["seq"], "at": entry["at"], "after_count": False})
        elif kind == "CASH_COUNT":
            if p["session"] != session:
                continue
            attempts += 1
            last_count = p
            last_count_seq = entry["seq"]

    for move in moves:
        move["after_count"] = last_count is not None and move["seq"] > last_count_seq

    opening_float = money(open_["payload"]["opening_float"])

    def sum_moves(kind: str, after_count: bool) -> int:
        return sum(
            money(m["amount"])
            for m in moves
            if m["kind"] == kind and m["after_count"] == after_count
        )

    moves_in = sum_moves("in", False)
    moves_out = sum_moves("out", False)
    drops = sum_moves("drop", False)
    closing_drops = sum_moves("drop", True) - sum_moves("in", True) + sum_moves("out", True)

    counted = {m["method"]: m for m in (last_count or {}).get("methods", [])}
    names = [m["name"] for m in parameters["methods"]]
    for name in sorted([*payments, *counted], key=_js_key):
        if name not in names:
            names.append(name)

    variance_total = expected_total = 0
    any_over = False
    method_rows = []
    for name in names:
        taken = payments.get(name, 0)
        expected = (
            opening_float + taken - change + moves_in - moves_out - drops
            if name == drawer
            else taken
        )
        count = counted.get(name)
        counted_minor = money(count["amount"]) if count else None
        difference = None if counted_minor is None else counted_minor - expected
        over = difference is not None and over_threshold(
            difference,
            expected,
            _method_limit(methods_by_name.get(name), parameters["variance"]),
            places,
        )
        if difference is not None:
            variance_total += difference
            expected_total += expected
            any_over = any_over or over
        method_rows.append(
            {
                "method": name,
                "cash": bool((methods_by_name.get(name) or {}).get("cash", False)),
                "payments": text(taken),
                "expected": text(expected),
                "counted": None if counted_minor is None else text(counted_minor),
                "difference": None if difference is None else text(difference),
                "denominations": count.get("denominations") if count else None,
                "over": over,
            }
        )
    drawer_row = next((row for row in method_rows if row["method"] == drawer), None)
    drawer_counted = (
        money(drawer_row["counted"])
        if drawer_row is not None and drawer_row["counted"] is not None
        else None
    )
    total_over = last_count is not None and over_threshold(
        variance_total, expected_total, parameters["variance"], places
    )
    tickets = sales["tickets"]
    z: dict[str, Any] = {
        "z_no": context["z_no"],
        "session": session,
        "terminal": context["terminal"],
        "store": context["store"],
        "business_day": business_day(open_["at"], parameters["time_zone"], parameters["day_start"]),
        "parameters": parameters,
        "opened": {"at": open_["at"], "by": open_["cashier"], "seq": open_["seq"]},
        "closed": context["closed"],
        "receipts": {"first": first_receipt, "last": last_receipt},
        "seq": {"first": open_["seq"], "last": entries[-1]["seq"]},
        "software": context["software"],
        "sales": {
            "tickets": tickets,
            "average": text(round_div(sales["gross"], tickets) if tickets else 0),
            "net": text(sales["net"]),
            "tax": text(sales["tax"]),
            "gross": text(sales["gross"]),
            "tax_rates": sales_rates.out(places),
        },
        "refunds": {
            "count": refunds["count"],
            "net": text(refunds["net"]),
            "tax": text(refunds["tax"]),
            "gross": text(refunds["gross"]),
            "tax_rates": refund_rates.out(places),
            "reasons": [
                {"reason": reason, "lines": lines, "amount": text(total)}
                for reason, (lines, total) in sorted(
                    refund_reasons.items(), key=lambda item: _js_key(item[0])
                )
            ],
        },
        "totals": {
            "tickets": tickets + refunds["count"],
            "net": text(sales["net"] + refunds["net"]),
            "tax": text(sales["tax"] + refunds["tax"]),
            "gross": text(sales["gross"] + refunds["gross"]),
            "tax_rates": all_rates.out(places),
        },
        "voids": {"count": voids[0], "amount": text(voids[1])},
        "abandoned": {"count": abandoned[0], "amount": text(abandoned[1])},
        "discounts": {"lines": discounts[0], "amount": text(discounts[1])},
        "overrides": {
            "count": override_count,
            "by_approver": sorted(
                overrides.values(),
                key=lambda row: (row["approver"]["id"], _js_key(row["action"])),
            ),
        },
        "no_sale": {
            "count": no_sale_count,
            "reasons": [
                {"reason": reason, "count": count}
                for reason, count in sorted(no_sale.items(), key=lambda item: _js_key(item[0]))
            ],
        },
        "methods": method_rows,
        "cash": {
            "method": drawer,
            "opening_float": text(opening_float),
            "payments": text(payments.get(drawer, 0) if drawer else 0),
            "change": text(change),
            "moves_in": text(moves_in),
            "moves_out": text(moves_out),
            "drops": text(drops),
            "expected": drawer_row["expected"]
            if drawer_row is not None
            else text(opening_float + moves_in - moves_out - drops),
            "counted": drawer_row["counted"] if drawer_row is not None else None,
            "difference": drawer_row["difference"] if drawer_row is not None else None,
            "closing_drops": text(closing_drops),
            "suggested_float": None
            if drawer_counted is None
            else text(drawer_counted - closing_drops),
        },
        "moves": [
            {
                "move": m["move"],
                "seq": m["seq"],
                "at": m["at"],
                "kind": m["kind"],
                "amount": m["amount"],
                "reason": m["reason"],
                "note": m["note"],
                "approval": m["approval"],
                "closing": m["after_count"],
            }
            for m in moves
        ],
        "counts": {
            "attempts": attempts,
            "blind": last_count["blind"] if last_count is not None else None,
        },
        "variance": {
            "amount": text(variance_total) if last_count is not None else None,
            "over": any_over or total_over,
            "approval": context["approval"],
        },
        "grand_totals": {
            "gt_after": last_ticket["gt_after"],
            "gt_abs_after": last_ticket["gt_abs_after"],
        }
        if last_ticket is not None
        else {
            "gt_after": context["before"]["gt_after"],
            "gt_abs_after": context["before"]["gt_abs_after"],
        },
        "period_totals": {"month": None, "year": None},
    }
    previous = context.get("previous")
    z["period_totals"] = {
        "month": period_totals("month", z, previous, places),
        "year": period_totals("year", z, previous, places),
    }
    return z


def period_key(period: str, day: str) -> str:
    return day[:7] if period == "month" else day[:4]


def period_totals(
    period: str, z: Mapping[str, Any], previous: Mapping[str, Any] | None, places: int
) -> dict[str, Any]:
    """The month's or year's totals up to and including this Z: the previous Z's when it
    is in the same period, plus this one's."""
    key = period_key(period, z["business_day"])

    def money(value: object) -> int:
        return amount(value, places)

    def text(minor: int) -> str:
        return decimal_text(minor, places)

    before = None
    if previous is not None:
        theirs = (previous.get("period_totals") or {}).get(period)
        if theirs is not None and theirs.get("key") == key:
            before = theirs
    rates = _Rates()
    for row in [*(before["tax_rates"] if before else []), *z["totals"]["tax_rates"]]:
        rates.add(row["rate"], money(row["net"]), money(row["tax"]), money(row["gross"]))

    def add(a: str | None, b: str) -> str:
        return text((money(a) if a else 0) + money(b))

    return {
        "key": key,
        "zs": (before["zs"] if before else 0) + 1,
        "first_z": before["first_z"] if before else z["z_no"],
        "last_z": z["z_no"],
        "tickets": (before["tickets"] if before else 0) + z["totals"]["tickets"],
        "net": add(before["net"] if before else None, z["totals"]["net"]),
        "tax": add(before["tax"] if before else None, z["totals"]["tax"]),
        "gross": add(before["gross"] if before else None, z["totals"]["gross"]),
        "tax_rates": rates.out(places),
        "refunds": {
            "count": (before["refunds"]["count"] if before else 0) + z["refunds"]["count"],
            "gross": add(before["refunds"]["gross"] if before else None, z["refunds"]["gross"]),
        },
        "variance": add(before["variance"] if before else None, z["variance"]["amount"] or text(0)),
        "gt_after": z["grand_totals"]["gt_after"],
        "gt_abs_after": z["grand_totals"]["gt_abs_after"],
    }


def period_closes(z: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The PERIOD_CLOSE payloads to write before a Z: the previous Z's month (then year)
    when this Z is the first of a new one."""
    if previous is None:
        return []
    closes = []
    for period in ("month", "year"):
        totals = (previous.get("period_totals") or {}).get(period)
        if totals and totals.get("key") != period_key(period, z["business_day"]):
            closes.append({"period": period, **totals})
    return closes


def period_sum(zs: Sequence[Mapping[str, Any]], *, period: str, places: int) -> dict[str, Any]:
    """A month's or year's totals added up from its Zs themselves (each Z's own totals,
    not the running totals they carry): what its PERIOD_CLOSE must say, `period` aside."""
    if not zs:
        raise ZError("a period of no Z")

    def money(value: object) -> int:
        return amount(value, places)

    def text(minor: int) -> str:
        return decimal_text(minor, places)

    rates = _Rates()
    tickets = net = tax = gross = refund_count = refund_gross = variance = 0
    for z in zs:
        totals = z["totals"]
        tickets += totals["tickets"]
        net += money(totals["net"])
        tax += money(totals["tax"])
        gross += money(totals["gross"])
        for row in totals["tax_rates"]:
            rates.add(row["rate"], money(row["net"]), money(row["tax"]), money(row["gross"]))
        refund_count += z["refunds"]["count"]
        refund_gross += money(z["refunds"]["gross"])
        variance += money(z["variance"]["amount"] or text(0))
    last = zs[-1]
    return {
        "key": period_key(period, last["business_day"]),
        "zs": len(zs),
        "first_z": zs[0]["z_no"],
        "last_z": last["z_no"],
        "tickets": tickets,
        "net": text(net),
        "tax": text(tax),
        "gross": text(gross),
        "tax_rates": rates.out(places),
        "refunds": {"count": refund_count, "gross": text(refund_gross)},
        "variance": text(variance),
        "gt_after": last["grand_totals"]["gt_after"],
        "gt_abs_after": last["grand_totals"]["gt_abs_after"],
    }
