"""The stored Z as text, for the back office's report page and its PDF.

A rendering of the Z_CLOSE entry's payload as the till wrote it, every figure as written:
nothing here adds up or recomputes (docs/z-report.md: a Z is never recomputed for a
reprint). Pure, defensive: a payload of another shape renders what it has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WIDTH = 48


def _get(value: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(value, Mapping) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _str(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping) and "name" in value:
        return str(value.get("name"))
    return str(value)


def _row(label: str, value: Any, width: int = WIDTH) -> str:
    """`label ....... value`, the value right-aligned; a long label is cut to fit."""
    right = _str(value)
    room = width - len(right) - 1
    left = label if len(label) <= room else label[: max(room - 1, 0)] + "…"
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


def _title(text: str, width: int = WIDTH) -> list[str]:
    return ["", text.upper()[:width], "-" * width]


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def z_text(payload: Mapping[str, Any], *, width: int = WIDTH, duplicate: bool = False) -> list[str]:
    """The lines of a Z report, `width` characters at most each."""
    p = payload
    lines: list[str] = []
    store = _get(p, "store") or {}
    lines.append(_str(_get(store, "name")).center(width)[:width])
    if _get(store, "tax_id"):
        lines.append(f"Tax ID {_get(store, 'tax_id')}".center(width)[:width])
    lines.append(f"Z REPORT No. {_str(_get(p, 'z_no'))}".center(width))
    if duplicate:
        lines.append("DUPLICATE".center(width))
    lines.append("=" * width)
    lines += [
        _row("Terminal", _get(p, "terminal"), width),
        _row("Business day", _get(p, "business_day"), width),
        _row("Opened", _get(p, "opened", "at"), width),
        _row("  by", _get(p, "opened", "by"), width),
        _row("Closed", _get(p, "closed", "at"), width),
        _row("  by", _get(p, "closed", "by"), width),
        _row(
            "Receipts",
            f"{_str(_get(p, 'receipts', 'first'))} – {_str(_get(p, 'receipts', 'last'))}",
            width,
        ),
        _row(
            "Journal seq",
            f"{_str(_get(p, 'seq', 'first'))} – {_str(_get(p, 'seq', 'last'))}",
            width,
        ),
        _row("Software", _get(p, "software"), width),
        _row("Session", _get(p, "session"), width),
    ]

    lines += _title("Sales", width)
    for rate in _items(_get(p, "sales", "tax_rates")):
        lines.append(
            _row(
                f"VAT {_str(_get(rate, 'rate'))}%  net {_str(_get(rate, 'net'))}"
                f" tax {_str(_get(rate, 'tax'))}",
                _get(rate, "gross"),
                width,
            )
        )
    lines += [
        _row("Net", _get(p, "sales", "net"), width),
        _row("Tax", _get(p, "sales", "tax"), width),
        _row("Gross", _get(p, "sales", "gross"), width),
        _row("Tickets", _get(p, "sales", "tickets"), width),
        _row("Average ticket", _get(p, "sales", "average"), width),
    ]

    lines += _title("Refunds", width)
    lines += [
        _row("Count", _get(p, "refunds", "count"), width),
        _row("Gross", _get(p, "refunds", "gross"), width),
    ]
    for reason in _items(_get(p, "refunds", "reasons")):
        lines.append(
            _row(
                f"  {_str(_get(reason, 'reason'))} ({_str(_get(reason, 'lines'))})",
                _get(reason, "amount"),
                width,
            )
        )

    lines += _title("Totals", width)
    for rate in _items(_get(p, "totals", "tax_rates")):
        lines.append(
            _row(
                f"VAT {_str(_get(rate, 'rate'))}%  net {_str(_get(rate, 'net'))}"
                f" tax {_str(_get(rate, 'tax'))}",
                _get(rate, "gross"),
                width,
            )
        )
    lines += [
        _row("Net", _get(p, "totals", "net"), width),
        _row("Tax", _get(p, "totals", "tax"), width),
        _row("Gross", _get(p, "totals", "gross"), width),
        _row("Tickets", _get(p, "totals", "tickets"), width),
    ]

    lines += _title("Exceptions", width)
    lines += [
        _row(f"Line voids ({_str(_get(p, 'voids', 'count'))})", _get(p, "voids", "amount"), width),
        _row(
            f"Abandoned orders ({_str(_get(p, 'abandoned', 'count'))})",
            _get(p, "abandoned", "amount"),
            width,
        ),
        _row(
            f"Discounts ({_str(_get(p, 'discounts', 'lines'))} lines)",
            _get(p, "discounts", "amount"),
            width,
        ),
        _row("Overrides", _get(p, "overrides", "count"), width),
    ]
    for row in _items(_get(p, "overrides", "by_approver")):
        lines.append(
            _row(
                f"  {_str(_get(row, 'approver'))}: {_str(_get(row, 'action'))}",
                _get(row, "count"),
                width,
            )
        )
    lines.append(_row("No-sale openings", _get(p, "no_sale", "count"), width))
    for row in _items(_get(p, "no_sale", "reasons")):
        lines.append(_row(f"  {_str(_get(row, 'reason'))}", _get(row, "count"), width))

    lines += _title("Payment methods", width)
    for method in _items(_get(p, "methods")):
        lines.append(_str(_get(method, "method"))[:width])
        lines += [
            _row("  payments", _get(method, "payments"), width),
            _row("  expected", _get(method, "expected"), width),
            _row("  counted or declared", _get(method, "counted"), width),
            _row(
                "  difference" + (" (OVER LIMIT)" if _get(method, "over") else ""),
                _get(method, "difference"),
                width,
            ),
        ]
        for denomination in _items(_get(method, "denominations")):
            lines.append(
                _row(
                    f"    {_str(_get(denomination, 'count'))} × "
                    f"{_str(_get(denomination, 'value'))}",
                    "",
                    width,
                )
            )

    lines += _title("Cash drawer", width)
    cash = _get(p, "cash") or {}
    for label, key in [
        ("Opening float", "opening_float"),
        ("Cash payments", "payments"),
        ("Change given", "change"),
        ("Cash in", "moves_in"),
        ("Cash out", "moves_out"),
        ("Safe drops", "drops"),
        ("Expected", "expected"),
        ("Counted", "counted"),
        ("Difference", "difference"),
        ("Closing drops", "closing_drops"),
        ("Suggested float", "suggested_float"),
    ]:
        lines.append(_row(label, _get(cash, key), width))
    moves = _items(_get(p, "moves"))
    if moves:
        lines += _title("Cash moves", width)
        for move in moves:
            kind = _str(_get(move, "kind"))
            lines.append(
                _row(
                    f"{_str(_get(move, 'at'))[11:16]} {kind} {_str(_get(move, 'reason'))}",
                    _get(move, "amount"),
                    width,
                )
            )
    lines += _title("Count and variance", width)
    lines += [
        _row("Count attempts", _get(p, "counts", "attempts"), width),
        _row("Blind count", _get(p, "counts", "blind"), width),
        _row("Variance", _get(p, "variance", "amount"), width),
        _row("Over its limit", _get(p, "variance", "over"), width),
    ]
    approval = _get(p, "variance", "approval")
    if isinstance(approval, Mapping):
        lines += [
            _row("Approved by", _get(approval, "approver"), width),
            _row("  reason", _get(approval, "reason"), width),
        ]
        if _get(approval, "note"):
            lines.append(f"  {_str(_get(approval, 'note'))}"[:width])

    lines += _title("Grand totals", width)
    lines += [
        _row("Perpetual (signed)", _get(p, "grand_totals", "gt_after"), width),
        _row("Perpetual (absolute)", _get(p, "grand_totals", "gt_abs_after"), width),
    ]
    for period in ("month", "year"):
        totals = _get(p, "period_totals", period)
        if isinstance(totals, Mapping):
            lines.append(
                _row(
                    f"{period.title()} {_str(_get(totals, 'key'))} ({_str(_get(totals, 'zs'))} Z)",
                    _get(totals, "gross"),
                    width,
                )
            )
    lines.append("=" * width)
    return lines
