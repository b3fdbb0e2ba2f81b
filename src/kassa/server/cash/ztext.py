"""The stored Z as text, for the back office's report page and its PDF.

A rendering of the Z_CLOSE entry's payload as the till wrote it, every figure as written:
nothing here adds up or recomputes (docs/z-report.md: a Z is never recomputed for a
reprint). Pure, defensive: a payload of another shape renders what it has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WIDTH = 48

# The back office's Z in the language its till printed it in (the Z's
# `parameters.language`; a Z without one printed in English, and is shown so). The till's
# paper words are domain/z_receipt.js's; tests/shared/z_cases.json's German case holds both
# to the same German headings. Amounts and dates show as stored, in every language.
_GERMAN = {
    "Tax ID": "USt-IdNr.",
    "Z REPORT No.": "Z-BERICHT Nr.",
    "DUPLICATE": "KOPIE",
    "Terminal": "Kasse",
    "Business day": "Geschäftstag",
    "Opened": "Geöffnet",
    "  by": "  von",
    "Closed": "Geschlossen",
    "Receipts": "Belege",
    "Journal seq": "Journal-Nr.",
    "Software": "Software",
    "Session": "Sitzung",
    "Sales": "Verkäufe",
    "VAT": "MwSt.",
    "net": "netto",
    "tax": "MwSt.",
    "Net": "Netto",
    "Tax": "MwSt.",
    "Gross": "Brutto",
    "Tickets": "Bons",
    "Average ticket": "Durchschnittsbon",
    "Refunds": "Erstattungen",
    "Count": "Anzahl",
    "Totals": "Gesamtumsatz",
    "Exceptions": "Ausnahmen",
    "Line voids": "Positionsstornos",
    "Abandoned orders": "Verworfene Bons",
    "Discounts": "Rabatte",
    "lines": "Pos.",
    "Overrides": "Freigaben",
    "No-sale openings": "Schubladenöffnungen",
    "Payment methods": "Zahlarten",
    "  payments": "  Zahlungen",
    "  expected": "  Soll",
    "  counted or declared": "  gezählt oder angegeben",
    "  difference": "  Differenz",
    "(OVER LIMIT)": "(ÜBER DEM LIMIT)",
    "Cash drawer": "Kassenlade",
    "Opening float": "Anfangsbestand",
    "Cash payments": "Barzahlungen",
    "Change given": "Rückgeld",
    "Cash in": "Einlagen",
    "Cash out": "Entnahmen",
    "Safe drops": "Abschöpfungen",
    "Expected": "Soll",
    "Counted": "Gezählt",
    "Difference": "Differenz",
    "Closing drops": "Abschöpfung Abschluss",
    "Suggested float": "Nächster Anfangsbestand",
    "Cash moves": "Bargeldbewegungen",
    "in": "Einlage",
    "out": "Entnahme",
    "drop": "Abschöpfung",
    "Count and variance": "Zählung und Kassendifferenz",
    "Count attempts": "Zählungen",
    "Blind count": "Blindzählung",
    "Variance": "Kassendifferenz",
    "Over its limit": "Über dem Limit",
    "Approved by": "Genehmigt von",
    "  reason": "  Grund",
    "Grand totals": "Gesamtsummen",
    "Perpetual (signed)": "Laufende Summe",
    "Perpetual (absolute)": "Laufende Summe absolut",
    "Month": "Monat",
    "Year": "Jahr",
    "yes": "ja",
    "no": "nein",
}
LANGUAGES: dict[str, dict[str, str]] = {"de": _GERMAN}


def _words(payload: Mapping[str, Any]) -> Any:
    language = _get(payload, "parameters", "language")
    table = LANGUAGES.get(language) if isinstance(language, str) else None
    return (lambda word: table.get(word, word)) if table else (lambda word: word)


def _get(value: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(value, Mapping) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _str(value: Any, t: Any = None) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        word = "yes" if value else "no"
        return t(word) if t else word
    if isinstance(value, Mapping) and "name" in value:
        return str(value.get("name"))
    return str(value)


def _row(label: str, value: Any, width: int = WIDTH, t: Any = None) -> str:
    """`label ....... value`, the value right-aligned; a long label is cut to fit."""
    right = _str(value, t)
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
    t = _words(payload)
    lines: list[str] = []
    store = _get(p, "store") or {}
    lines.append(_str(_get(store, "name")).center(width)[:width])
    if _get(store, "tax_id"):
        lines.append(f"{t('Tax ID')} {_get(store, 'tax_id')}".center(width)[:width])
    lines.append(f"{t('Z REPORT No.')} {_str(_get(p, 'z_no'))}".center(width))
    if duplicate:
        lines.append(t("DUPLICATE").center(width))
    lines.append("=" * width)
    lines += [
        _row(t("Terminal"), _get(p, "terminal"), width),
        _row(t("Business day"), _get(p, "business_day"), width),
        _row(t("Opened"), _get(p, "opened", "at"), width),
        _row(t("  by"), _get(p, "opened", "by"), width),
        _row(t("Closed"), _get(p, "closed", "at"), width),
        _row(t("  by"), _get(p, "closed", "by"), width),
        _row(
            t("Receipts"),
            f"{_str(_get(p, 'receipts', 'first'))} – {_str(_get(p, 'receipts', 'last'))}",
            width,
        ),
        _row(
            t("Journal seq"),
            f"{_str(_get(p, 'seq', 'first'))} – {_str(_get(p, 'seq', 'last'))}",
            width,
        ),
        _row(t("Software"), _get(p, "software"), width),
        _row(t("Session"), _get(p, "session"), width),
    ]

    lines += _title(t("Sales"), width)
    for rate in _items(_get(p, "sales", "tax_rates")):
        lines.append(
            _row(
                f"{t('VAT')} {_str(_get(rate, 'rate'))}%  {t('net')} {_str(_get(rate, 'net'))}"
                f" {t('tax')} {_str(_get(rate, 'tax'))}",
                _get(rate, "gross"),
                width,
            )
        )
    lines += [
        _row(t("Net"), _get(p, "sales", "net"), width),
        _row(t("Tax"), _get(p, "sales", "tax"), width),
        _row(t("Gross"), _get(p, "sales", "gross"), width),
        _row(t("Tickets"), _get(p, "sales", "tickets"), width),
        _row(t("Average ticket"), _get(p, "sales", "average"), width),
    ]

    lines += _title(t("Refunds"), width)
    lines += [
        _row(t("Count"), _get(p, "refunds", "count"), width),
        _row(t("Gross"), _get(p, "refunds", "gross"), width),
    ]
    for reason in _items(_get(p, "refunds", "reasons")):
        lines.append(
            _row(
                f"  {_str(_get(reason, 'reason'))} ({_str(_get(reason, 'lines'))})",
                _get(reason, "amount"),
                width,
            )
        )

    lines += _title(t("Totals"), width)
    for rate in _items(_get(p, "totals", "tax_rates")):
        lines.append(
            _row(
                f"{t('VAT')} {_str(_get(rate, 'rate'))}%  {t('net')} {_str(_get(rate, 'net'))}"
                f" {t('tax')} {_str(_get(rate, 'tax'))}",
                _get(rate, "gross"),
                width,
            )
        )
    lines += [
        _row(t("Net"), _get(p, "totals", "net"), width),
        _row(t("Tax"), _get(p, "totals", "tax"), width),
        _row(t("Gross"), _get(p, "totals", "gross"), width),
        _row(t("Tickets"), _get(p, "totals", "tickets"), width),
    ]

    lines += _title(t("Exceptions"), width)
    lines += [
        _row(
            f"{t('Line voids')} ({_str(_get(p, 'voids', 'count'))})",
            _get(p, "voids", "amount"),
            width,
        ),
        _row(
            f"{t('Abandoned orders')} ({_str(_get(p, 'abandoned', 'count'))})",
            _get(p, "abandoned", "amount"),
            width,
        ),
        _row(
            f"{t('Discounts')} ({_str(_get(p, 'discounts', 'lines'))} {t('lines')})",
            _get(p, "discounts", "amount"),
            width,
        ),
        _row(t("Overrides"), _get(p, "overrides", "count"), width),
    ]
    for row in _items(_get(p, "overrides", "by_approver")):
        lines.append(
            _row(
                f"  {_str(_get(row, 'approver'))}: {_str(_get(row, 'action'))}",
                _get(row, "count"),
                width,
            )
        )
    lines.append(_row(t("No-sale openings"), _get(p, "no_sale", "count"), width))
    for row in _items(_get(p, "no_sale", "reasons")):
        lines.append(_row(f"  {_str(_get(row, 'reason'))}", _get(row, "count"), width))

    lines += _title(t("Payment methods"), width)
    for method in _items(_get(p, "methods")):
        lines.append(_str(_get(method, "method"))[:width])
        lines += [
            _row(t("  payments"), _get(method, "payments"), width),
            _row(t("  expected"), _get(method, "expected"), width),
            _row(t("  counted or declared"), _get(method, "counted"), width),
            _row(
                t("  difference") + (f" {t('(OVER LIMIT)')}" if _get(method, "over") else ""),
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

    lines += _title(t("Cash drawer"), width)
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
        lines.append(_row(t(label), _get(cash, key), width))
    moves = _items(_get(p, "moves"))
    if moves:
        lines += _title(t("Cash moves"), width)
        for move in moves:
            kind = t(_str(_get(move, "kind")))
            lines.append(
                _row(
                    f"{_str(_get(move, 'at'))[11:16]} {kind} {_str(_get(move, 'reason'))}",
                    _get(move, "amount"),
                    width,
                )
            )
    lines += _title(t("Count and variance"), width)
    lines += [
        _row(t("Count attempts"), _get(p, "counts", "attempts"), width),
        _row(t("Blind count"), _get(p, "counts", "blind"), width, t),
        _row(t("Variance"), _get(p, "variance", "amount"), width),
        _row(t("Over its limit"), _get(p, "variance", "over"), width, t),
    ]
    approval = _get(p, "variance", "approval")
    if isinstance(approval, Mapping):
        lines += [
            _row(t("Approved by"), _get(approval, "approver"), width),
            _row(t("  reason"), _get(approval, "reason"), width),
        ]
        if _get(approval, "note"):
            lines.append(f"  {_str(_get(approval, 'note'))}"[:width])

    lines += _title(t("Grand totals"), width)
    lines += [
        _row(t("Perpetual (signed)"), _get(p, "grand_totals", "gt_after"), width),
        _row(t("Perpetual (absolute)"), _get(p, "grand_totals", "gt_abs_after"), width),
    ]
    for period in ("month", "year"):
        totals = _get(p, "period_totals", period)
        if isinstance(totals, Mapping):
            lines.append(
                _row(
                    f"{t(period.title())} {_str(_get(totals, 'key'))}"
                    f" ({_str(_get(totals, 'zs'))} Z)",
                    _get(totals, "gross"),
                    width,
                )
            )
    lines.append("=" * width)
    return lines
