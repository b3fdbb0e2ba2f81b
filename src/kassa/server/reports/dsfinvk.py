"""The German DSFinV-K export of a terminal's Zs (`kassa export dsfinvk`, docs/dsfinvk.md):
one Kassenabschluss per Z, written with the `dsfinvk` package's tables and checked with
its validator.

Everything comes from what the till wrote: each Z's Z_CLOSE entry (the closing, its
Anfangsbestand, cash moves and DifferenzSollIst) and the session's SALE, REFUND and
CASH_MOVE entries (the receipts). Nothing is recomputed. Rows are streamed to one
temporary file per table while the journal is read in one pass, so a year of 150,000
receipts never sits in memory.

Without a TSE (technische Sicherheitseinrichtung) this export is NOT sufficient for a
cash register in Germany: docs/dsfinvk.md.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import orjson
from dsfinvk import models as D
from dsfinvk.fields import BooleanField, NumericField, StringField
from dsfinvk.table import Model
from dsfinvk.validate import validate_zip

from kassa.server.cash.models import ZReport
from kassa.server.cash.selectors import z_payload
from kassa.server.common.memory import gc_paused
from kassa.server.journal.models import TerminalEntry
from kassa.server.terminals.models import Terminal

BRAND = "Kassa"
DTD_NAME = "gdpdu-01-08-2002.dtd"
# DSFinV-K's fixed VAT keys (Anhang: USt-Schlüssel); other rates get keys from 1000 on.
VAT_KEYS = {
    Decimal("19"): 1,
    Decimal("7"): 2,
    Decimal("10.7"): 3,
    Decimal("5.5"): 4,
    Decimal("0"): 5,
}
VAT_NOT_TAXABLE = 5  # cash moves, float and differences carry no VAT
VAT_NAMES = {1: "Regelsteuersatz", 2: "Ermäßigter Steuersatz", 5: "Nicht Steuerbar"}
# Every table the export can write, in the order index.xml lists them.
TABLES: list[type[Model]] = [
    D.Bonpos,
    D.Bonpos_USt,
    D.Bonkopf,
    D.Bonkopf_USt,
    D.Bonkopf_Zahlarten,
    D.Bon_Referenzen,
    D.Stamm_Abschluss,
    D.Stamm_Orte,
    D.Stamm_Kassen,
    D.Stamm_USt,
    D.Z_GV_Typ,
    D.Z_Zahlart,
    D.Z_Waehrungen,
]
MOVE_TYPES = {"in": "Einzahlung", "out": "Auszahlung", "drop": "Geldtransit"}
READ_TYPES = ("SESSION_OPEN", "SALE", "REFUND", "CASH_MOVE", "Z_CLOSE")


class ExportError(Exception):
    """The export cannot be written: an unknown terminal, no Z in the range, a file
    already there, or the validator refused what was written."""


@dataclass
class ExportReport:
    path: Path
    terminal: str
    first_z: int
    last_z: int
    closings: int
    receipts: int
    rows: int

    validated: bool = True

    def summary(self) -> str:
        checked = "validated" if self.validated else "NOT validated (--no-validate)"
        return (
            f"DSFinV-K export written: {self.path}, terminal {self.terminal}, "
            f"Z {self.first_z}–{self.last_z}, {self.closings} closings, "
            f"{self.receipts:,} receipts, {self.rows:,} rows; {checked}. Without a TSE this "
            "export is not sufficient in Germany (docs/dsfinvk.md)."
        )


class _Holder:
    """What a dsfinvk field writes its formatted value into (a Model has `_data`)."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}


def _formatter(f: Any) -> Any:
    """The package's own formatting of one column (its field's __set__: decimal comma,
    digit grouping, places, booleans as 0/1, local timestamps), remembered per value: a
    year of receipts repeats its amounts, dates and ids."""
    cache: dict[Any, str] = {}
    holder = _Holder()

    def text(value: Any) -> str:
        known = cache.get(value)
        if known is None:
            f.__set__(holder, value)
            known = holder._data[f.name]
            if len(cache) < 50_000:
                cache[value] = known
        return known

    if isinstance(f, StringField) and f.regex is None:
        return lambda value: value  # a plain text column: stored as given
    return text


class _Spec:
    def __init__(self, table: type[Model]) -> None:
        self.names = [f.name for f in table._fields]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.format = [_formatter(f) for f in table._fields]
        self.defaults = ["" if f.default is None else f.default for f in table._fields]


class _Tables:
    """One temporary CSV file per table, its rows written as they come: each value
    formatted by the dsfinvk package's field of its column, as its Model would."""

    def __init__(self) -> None:
        self.files: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}
        self.specs: dict[type[Model], _Spec] = {}
        self.rows = 0

    def add(self, table: type[Model], **values: Any) -> None:
        spec = self.specs.get(table)
        if spec is None:
            spec = self.specs[table] = _Spec(table)
            handle = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(spec.names)
            self.files[table._filename], self.writers[table._filename] = handle, writer
        row = list(spec.defaults)
        for name, value in values.items():
            i = spec.index[name]
            if value is not None:
                row[i] = spec.format[i](value)
        self.writers[table._filename].writerow(row)
        self.rows += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _money(text: object) -> Decimal:
    return Decimal(text) if isinstance(text, str) else Decimal(0)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class _Closing:
    """One Z: its identity as DSFinV-K names a Kassenabschluss, and its running sums."""

    z: ZReport
    payload: dict[str, Any]
    created: datetime
    first_bon: str | None = None
    last_bon: str | None = None
    payments: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    vat_keys: set[int] = field(default_factory=set)

    def ids(self, kasse: str) -> dict[str, Any]:
        return {"Z_KASSE_ID": kasse, "Z_ERSTELLUNG": self.created, "Z_NR": self.z.z_no}

    def bon(self, bon_id: str) -> None:
        if self.first_bon is None:
            self.first_bon = bon_id
        self.last_bon = bon_id

    def pay(self, kind: str, name: str, amount: Decimal) -> None:
        self.payments[(kind, name)] = self.payments.get((kind, name), Decimal(0)) + amount


class _Export:
    def __init__(self, terminal: Terminal, zs: list[ZReport], tables: _Tables):
        self.terminal = terminal
        self.kasse = terminal.code
        self.tables = tables
        self.currency = terminal.currency.upper()
        self.closings = [
            _Closing(z, payload, _at(_closed_at(payload, z)))
            for z, payload in ((z, z_payload(z)) for z in zs)
        ]
        self.vat: dict[str, int] = {}
        self.receipts = 0
        # Where each order sold in the range was closed, for the refunds that name it.
        self.sold: dict[str, _Closing] = {}

    def vat_key(self, rate: str) -> int:
        key = self.vat.get(rate)
        if key is None:
            value = Decimal(rate)
            key = VAT_KEYS.get(value.normalize() if value else Decimal(0))
            if key is None:
                key = 1000 + sum(1 for k in self.vat.values() if k >= 1000)
            self.vat[rate] = key
        return key

    def run(self) -> None:
        for closing, entries in self._sessions():
            for entry in entries:
                kind = entry["type"]
                if kind == "SESSION_OPEN":
                    self.opening(closing, entry)
                elif kind in ("SALE", "REFUND"):
                    self.ticket(closing, entry)
                elif kind == "CASH_MOVE":
                    self.move(closing, entry)
            self.difference(closing)
            self.closing(closing)

    def _sessions(self) -> Iterator[tuple[_Closing, list[dict[str, Any]]]]:
        """Each Z with its session's entries, read in one pass over the journal."""
        first = min(_seq_first(c) for c in self.closings)
        last = max(c.z.seq for c in self.closings)
        rows = (
            TerminalEntry.objects.filter(
                terminal_code=self.kasse, seq__gte=first, seq__lte=last, type__in=READ_TYPES
            )
            .order_by("seq")
            .values_list("seq", "canonical")
            .iterator(chunk_size=5000)
        )
        closings = iter(sorted(self.closings, key=lambda c: c.z.seq))
        current: _Closing | None = next(closings)
        entries: list[dict[str, Any]] = []
        for seq, canonical in rows:
            while current is not None and seq > current.z.seq:
                yield current, entries
                entries, current = [], next(closings, None)
            if current is None:
                return
            if seq >= _seq_first(current) and seq < current.z.seq:
                entries.append(orjson.loads(bytes(canonical)))
        if current is not None:
            yield current, entries
            for rest in closings:
                yield rest, []

    # -- Vorgänge ------------------------------------------------------------------

    def head(
        self,
        closing: _Closing,
        entry: Mapping[str, Any],
        bon_id: str,
        gross: Decimal,
        note: str = "",
    ) -> None:
        cashier = entry.get("cashier") or {}
        at = _at(entry["at"])
        closing.bon(bon_id)
        self.tables.add(
            D.Bonkopf,
            **closing.ids(self.kasse),
            BON_ID=bon_id,
            BON_NR=entry["seq"],
            BON_TYP="Beleg",
            TERMINAL_ID=self.kasse,
            BON_STORNO=False,
            BON_START=at,
            BON_ENDE=at,
            BEDIENER_ID=str(cashier.get("id", "")),
            BEDIENER_NAME=str(cashier.get("name", ""))[:50],
            UMS_BRUTTO=gross,
            BON_NOTIZ=note[:255],
        )

    def untaxed(
        self,
        closing: _Closing,
        entry: Mapping[str, Any],
        bon_id: str,
        gv_typ: str,
        amount: Decimal,
        text: str,
    ) -> None:
        """A Vorgang without VAT paid in cash: float, cash moves, the difference."""
        self.head(closing, entry, bon_id, amount, text)
        ids = {**closing.ids(self.kasse), "BON_ID": bon_id}
        self.tables.add(
            D.Bonpos,
            **ids,
            POS_ZEILE="1",
            GV_TYP=gv_typ,
            ARTIKELTEXT=text[:255],
            INHAUS=False,
            MENGE=Decimal(1),
            STK_BR=amount,
        )
        self.tables.add(
            D.Bonpos_USt,
            **ids,
            POS_ZEILE="1",
            UST_SCHLUESSEL=VAT_NOT_TAXABLE,
            POS_BRUTTO=amount,
            POS_NETTO=amount,
            POS_UST=Decimal(0),
        )
        self.tables.add(
            D.Bonkopf_USt,
            **ids,
            UST_SCHLUESSEL=VAT_NOT_TAXABLE,
            BON_BRUTTO=amount,
            BON_NETTO=amount,
            BON_UST=Decimal(0),
        )
        self.cash(closing, ids, amount)
        closing.vat_keys.add(VAT_NOT_TAXABLE)

    def cash(self, closing: _Closing, ids: dict[str, Any], amount: Decimal) -> None:
        name = closing.payload.get("cash", {}).get("method") or "Bar"
        self.tables.add(
            D.Bonkopf_Zahlarten,
            **ids,
            ZAHLART_TYP="Bar",
            ZAHLART_NAME=str(name)[:60],
            BASISWAEH_BETRAG=amount,
        )
        closing.pay("Bar", str(name), amount)

    def opening(self, closing: _Closing, entry: Mapping[str, Any]) -> None:
        amount = _money(entry["payload"].get("opening_float"))
        session = str(entry["payload"].get("session"))
        self.untaxed(
            closing, entry, _bon_id(session, "float"), "Anfangsbestand", amount, "Anfangsbestand"
        )

    def move(self, closing: _Closing, entry: Mapping[str, Any]) -> None:
        p = entry["payload"]
        gv_typ = MOVE_TYPES.get(p.get("kind"), "Einzahlung")
        amount = _money(p.get("amount"))
        signed = amount if p.get("kind") == "in" else -amount
        text = f"{gv_typ} {p.get('reason') or ''} {p.get('note') or ''}".strip()
        self.untaxed(closing, entry, str(p.get("move")), gv_typ, signed, text)

    def difference(self, closing: _Closing) -> None:
        """The counted drawer less the expected: DifferenzSollIst, at the close."""
        cash = closing.payload.get("cash") or {}
        amount = _money(cash.get("difference"))
        if not amount:
            return
        z = closing.z
        entry = {
            "seq": z.seq,
            "at": _closed_at(closing.payload, z),
            "cashier": closing.payload.get("closed", {}).get("by"),
        }
        bon_id = _bon_id(str(closing.payload.get("session")), "difference")
        self.untaxed(closing, entry, bon_id, "DifferenzSollIst", amount, "DifferenzSollIst")

    def ticket(self, closing: _Closing, entry: Mapping[str, Any]) -> None:
        p = entry["payload"]
        bon_id = str(p["order"])
        self.receipts += 1
        self.sold[bon_id] = closing
        self.head(closing, entry, bon_id, _money(p["totals"]["gross"]), f"Beleg {p['receipt_no']}")
        ids = {**closing.ids(self.kasse), "BON_ID": bon_id}
        per_rate: dict[int, list[Decimal]] = {}
        for number, line in enumerate(p["lines"], start=1):
            key = self.vat_key(line["tax_rate"])
            gross, net, tax = _money(line["amount"]), _money(line["net"]), _money(line["tax"])
            self.tables.add(
                D.Bonpos,
                **ids,
                POS_ZEILE=str(number),
                GV_TYP="Umsatz",
                ARTIKELTEXT=str(line.get("name", ""))[:255],
                INHAUS=False,
                ART_NR=str(line.get("ref") or "")[:50],
                MENGE=_money(line["qty"]),
                EINHEIT=str(line.get("unit") or "")[:50],
                STK_BR=_money(line["unit_price"]),
            )
            self.tables.add(
                D.Bonpos_USt,
                **ids,
                POS_ZEILE=str(number),
                UST_SCHLUESSEL=key,
                POS_BRUTTO=gross,
                POS_NETTO=net,
                POS_UST=tax,
            )
            sums = per_rate.setdefault(key, [Decimal(0)] * 3)
            sums[0] += gross
            sums[1] += net
            sums[2] += tax
        for key, (gross, net, tax) in sorted(per_rate.items()):
            self.tables.add(
                D.Bonkopf_USt,
                **ids,
                UST_SCHLUESSEL=key,
                BON_BRUTTO=gross,
                BON_NETTO=net,
                BON_UST=tax,
            )
            closing.vat_keys.add(key)
        self.payments(closing, ids, p)
        original = p.get("original")
        if entry["type"] == "REFUND" and isinstance(original, Mapping):
            self.reference(closing, ids, original)

    def payments(self, closing: _Closing, ids: dict[str, Any], p: Mapping[str, Any]) -> None:
        """Each method's amount on the receipt; the change comes out of the drawer's."""
        methods = {m["name"]: m for m in closing.payload.get("parameters", {}).get("methods", [])}
        drawer = closing.payload.get("cash", {}).get("method")
        paid: dict[str, Decimal] = {}
        for payment in p["payments"]:
            paid[payment["method"]] = paid.get(payment["method"], Decimal(0)) + _money(
                payment["amount"]
            )
        change = _money(p.get("change"))
        if change and drawer:
            paid[drawer] = paid.get(drawer, Decimal(0)) - change
        for name, amount in paid.items():
            kind = "Bar" if methods.get(name, {}).get("cash") else "Unbar"
            self.tables.add(
                D.Bonkopf_Zahlarten,
                **ids,
                ZAHLART_TYP=kind,
                ZAHLART_NAME=name[:60],
                BASISWAEH_BETRAG=amount,
            )
            closing.pay(kind, name, amount)

    def reference(
        self, closing: _Closing, ids: dict[str, Any], original: Mapping[str, Any]
    ) -> None:
        """A refund names its original receipt: the Vorgang and the Kassenabschluss it is in."""
        order = str(original.get("order"))
        where = self.sold.get(order) or self._closing_at(original.get("at"))
        self.tables.add(
            D.Bon_Referenzen,
            **ids,
            REF_TYP="Transaktion",
            REF_Z_KASSE_ID=self.kasse,
            REF_BON_ID=order,
            **({"REF_DATUM": where.created, "REF_Z_NR": where.z.z_no} if where is not None else {}),
        )

    def _closing_at(self, at: object) -> _Closing | None:
        """The Z of the session a time falls in, for an original sold outside the range."""
        if not isinstance(at, str):
            return None
        try:
            when = _at(at)
        except ValueError:
            return None
        z = (
            ZReport.objects.filter(terminal=self.terminal, opened_at__lte=when, closed_at__gte=when)
            .select_related("entry")
            .order_by("seq")
            .first()
        )
        if z is None:
            return None
        payload = z_payload(z)
        return _Closing(z, payload, _at(_closed_at(payload, z)))

    # -- the Kassenabschluss -----------------------------------------------------------

    def closing(self, closing: _Closing) -> None:
        p, ids = closing.payload, closing.ids(self.kasse)
        store = p.get("store") or {}
        street, postcode, city = _address(self.terminal)
        bar = sum((v for (k, _), v in closing.payments.items() if k == "Bar"), Decimal(0))
        self.tables.add(
            D.Stamm_Abschluss,
            **ids,
            Z_BUCHUNGSTAG=str(p.get("business_day") or ""),
            Z_START_ID=closing.first_bon or "",
            Z_ENDE_ID=closing.last_bon or "",
            NAME=str(store.get("name") or self.terminal.store.name)[:60],
            STRASSE=street,
            PLZ=postcode,
            ORT=city,
            LAND="DEU",
            STNR=str(store.get("tax_id") or "")[:20],
            USTID=str(store.get("tax_id") or "")[:15],
            Z_SE_ZAHLUNGEN=sum(closing.payments.values(), Decimal(0)),
            Z_SE_BARZAHLUNGEN=bar,
        )
        self.tables.add(
            D.Stamm_Orte,
            **ids,
            LOC_NAME=self.terminal.store.name[:60],
            LOC_STRASSE=street,
            LOC_PLZ=postcode,
            LOC_ORT=city,
            LOC_LAND="DEU",
            LOC_USTID=self.terminal.store.tax_id[:15],
        )
        self.tables.add(
            D.Stamm_Kassen,
            **ids,
            KASSE_BRAND=BRAND,
            KASSE_MODELL=f"{BRAND} POS",
            KASSE_SERIENNR=self.kasse,
            KASSE_SW_BRAND=BRAND,
            KASSE_SW_VERSION=str(p.get("software") or "")[:50],
            KASSE_BASISWAEH_CODE=self.currency,
            KEINE_UST_ZUORDNUNG=False,
        )
        rates = {key: rate for rate, key in self.vat.items()}
        for key in sorted(closing.vat_keys):
            rate = Decimal(rates[key]) if key in rates else Decimal(0)
            self.tables.add(
                D.Stamm_USt,
                **ids,
                UST_SCHLUESSEL=key,
                UST_SATZ=rate,
                UST_BESCHR=VAT_NAMES.get(key, f"{rate.normalize():f} %")[:55],
            )
        self.business_cases(closing, ids)
        for (kind, name), amount in sorted(closing.payments.items()):
            self.tables.add(
                D.Z_Zahlart,
                **ids,
                ZAHLART_TYP=kind,
                ZAHLART_NAME=name[:60],
                Z_ZAHLART_BETRAG=amount,
            )
        self.tables.add(D.Z_Waehrungen, **ids, ZAHLART_WAEH=self.currency, ZAHLART_BETRAG_WAEH=bar)

    def business_cases(self, closing: _Closing, ids: dict[str, Any]) -> None:
        """Z_GV_Typ: the Z's own figures, as it stored them."""
        p = closing.payload
        for row in (p.get("totals") or {}).get("tax_rates", []):
            self.tables.add(
                D.Z_GV_Typ,
                **ids,
                GV_TYP="Umsatz",
                UST_SCHLUESSEL=self.vat_key(row["rate"]),
                Z_UMS_BRUTTO=_money(row["gross"]),
                Z_UMS_NETTO=_money(row["net"]),
                Z_UST=_money(row["tax"]),
            )
        cash = p.get("cash") or {}
        untaxed: dict[str, Decimal] = {"Anfangsbestand": _money(cash.get("opening_float"))}
        for move in p.get("moves") or []:
            gv_typ = MOVE_TYPES.get(move.get("kind"), "Einzahlung")
            amount = _money(move.get("amount"))
            untaxed[gv_typ] = untaxed.get(gv_typ, Decimal(0)) + (
                amount if move.get("kind") == "in" else -amount
            )
        if _money(cash.get("difference")):
            untaxed["DifferenzSollIst"] = _money(cash.get("difference"))
        for gv_typ, amount in untaxed.items():
            self.tables.add(
                D.Z_GV_Typ,
                **ids,
                GV_TYP=gv_typ,
                UST_SCHLUESSEL=VAT_NOT_TAXABLE,
                Z_UMS_BRUTTO=amount,
                Z_UMS_NETTO=amount,
                Z_UST=Decimal(0),
            )


def _seq_first(closing: _Closing) -> int:
    seq = closing.payload.get("seq") or {}
    first = seq.get("first")
    return first if isinstance(first, int) else closing.z.seq


def _closed_at(payload: Mapping[str, Any], z: ZReport) -> str:
    closed = payload.get("closed") or {}
    at = closed.get("at") if isinstance(closed, Mapping) else None
    return at if isinstance(at, str) else (z.closed_at or z.at).isoformat()


def _bon_id(session: str, what: str) -> str:
    """A Vorgang of the session's own (its float, its difference): a uuid made from both."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kassa:session:{session}:{what}"))


def _address(terminal: Terminal) -> tuple[str, str, str]:
    """Street, postcode and city from the store's address: the first line is the street,
    the last one "PLZ Ort" when it starts with the postcode."""
    lines = [line.strip() for line in terminal.store.address.splitlines() if line.strip()]
    street = lines[0][:60] if lines else ""
    last = lines[-1] if len(lines) > 1 else ""
    postcode, _, city = last.partition(" ")
    if not postcode.isdigit():
        postcode, city = "", last
    return street, postcode[:10], city[:62]


# --- index.xml (GDPdU description standard) ------------------------------------------


def _column(f: Any) -> str:
    name = f"<Name>{escape(f.name)}</Name>"
    if isinstance(f, NumericField):
        accuracy = f"<Accuracy>{f.places}</Accuracy>" if f.places else ""
        return f"<VariableColumn>{name}<Numeric>{accuracy}</Numeric></VariableColumn>"
    if isinstance(f, BooleanField):
        return f"<VariableColumn>{name}<Numeric/></VariableColumn>"
    length = getattr(f, "max_length", None) if isinstance(f, StringField) else None
    max_length = f"<MaxLength>{length}</MaxLength>" if length else ""
    # Timestamps are AlphaNumeric: the validator has no Date type.
    return f"<VariableColumn>{name}<AlphaNumeric/>{max_length}</VariableColumn>"


def index_xml(tables: list[type[Model]]) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<!DOCTYPE DataSet SYSTEM "{DTD_NAME}">',
        "<DataSet><Version>1.0</Version>",
        "<DataSupplier><Name>Kassa</Name><Location>-</Location>",
        f"<Comment>DSFinV-K {D.TAXONOMY_VERSION}</Comment></DataSupplier>",
        "<Media><Name>DSFinV-K</Name>",
    ]
    for table in tables:
        columns = "".join(_column(f) for f in table._fields)
        parts.append(
            f"<Table><URL>{table._filename}</URL><Name>{table.__name__}</Name>"
            "<UTF8/><DecimalSymbol>,</DecimalSymbol><DigitGroupingSymbol>.</DigitGroupingSymbol>"
            "<Range><From>2</From></Range><VariableLength>"
            "<ColumnDelimiter>;</ColumnDelimiter><RecordDelimiter>&#13;&#10;</RecordDelimiter>"
            f'<TextEncapsulator>"</TextEncapsulator>{columns}</VariableLength></Table>'
        )
    parts.append("</Media></DataSet>")
    return "\n".join(parts) + "\n"


def dsfinvk_export(
    *, terminal_code: str, first_z: int, last_z: int, out_dir: Path, validate: bool = True
) -> ExportReport:
    """Write `out_dir/dsfinvk-T-Z1-Z2.zip` for the terminal's Zs numbered first_z to
    last_z, then check it with the dsfinvk validator; a file already there is never
    overwritten, and a file that does not validate is removed."""
    terminal = Terminal.objects.select_related("store").filter(code=terminal_code).first()
    if terminal is None:
        raise ExportError(f"no terminal {terminal_code!r}")
    if first_z > last_z:
        raise ExportError(f"--from {first_z} is after --to {last_z}")
    zs = list(
        ZReport.objects.filter(terminal=terminal, z_no__gte=first_z, z_no__lte=last_z)
        .select_related("entry")
        .order_by("seq")
    )
    if not zs:
        raise ExportError(f"terminal {terminal_code} has no Z numbered {first_z} to {last_z}")
    path = out_dir / f"dsfinvk-{terminal.code}-{first_z}-{last_z}.zip"
    if path.exists():
        raise ExportError(f"{path} exists; it is never overwritten")
    tables = _Tables()
    export = _Export(terminal, zs, tables)
    try:
        with gc_paused():
            export.run()
        dtd = (Path(__file__).with_name(DTD_NAME)).read_bytes()
        present = [t for t in TABLES if t._filename in tables.files]
        # The fastest deflate level: a year's tables shrink about as much (CSV repeats
        # itself), in a fraction of the time.
        with zipfile.ZipFile(path, "x", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for table in present:
                handle = tables.files[table._filename]
                handle.seek(0)
                with archive.open(table._filename, "w") as member:
                    wrapper = io.TextIOWrapper(member, encoding="utf-8", newline="")
                    while chunk := handle.read(1 << 20):
                        wrapper.write(chunk)
                    wrapper.flush()
                    wrapper.detach()
            archive.writestr("index.xml", index_xml(present))
            archive.writestr(DTD_NAME, dtd)
    finally:
        tables.close()
    if validate:
        problems = dsfinvk_validate(path)
        if problems:
            path.unlink()
            raise ExportError("the dsfinvk validator refused the export: " + "; ".join(problems))
    return ExportReport(
        path,
        terminal.code,
        zs[0].z_no,
        zs[-1].z_no,
        len(zs),
        export.receipts,
        tables.rows,
        validated=validate,
    )


def dsfinvk_validate(path: Path) -> list[str]:
    """The dsfinvk package's validator on an export: its errors, and the values it only
    prints (a number in the wrong form, a text longer than its column) as errors too."""
    printed = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(printed):
        errors = list(validate_zip(str(path)))
    return errors + [line for line in printed.getvalue().splitlines() if line.startswith("Line ")]
