"""Product CSV import: `product_import`, a service (it writes) of its own module for its
size. The format is described in docs/import.md.

The whole file is validated before anything is written. With errors, nothing is imported
unless `partial=True`, in which case the good rows are imported and the report says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from kassa.money import MoneyError, to_decimal

from .barcodes import BarcodeError, barcode_normalise
from .models import Barcode, Category, Product, Tax, Unit
from .services import catalog_version_next

COLUMNS = ("name", "ref", "barcodes", "category", "price", "tax", "unit", "weighed", "active")
REQUIRED = ("name", "price", "tax")
MAX_PRICE = Decimal("9999999999.99")
BATCH = 2000
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    partial: bool = False
    imported: bool = False

    @property
    def rejected(self) -> int:
        return len({e.line for e in self.errors})

    def summary(self) -> str:
        if self.imported:
            head = f"Imported {self.created} new and {self.updated} updated products"
            if self.errors:
                head += f"; {self.rejected} rows with errors were skipped (partial import)"
        elif self.errors:
            head = (
                f"Nothing imported: {self.rejected} of {self.rows} rows have errors. "
                "Fix them, or import only the good rows with the partial option."
            )
        else:
            head = "Nothing imported: the file has no product rows."
        lines = [head + "."]
        lines += [f"line {e.line}: {e.message}" for e in self.errors]
        return "\n".join(lines)


@dataclass
class _Row:
    line: int
    name: str
    ref: str | None
    barcodes: list[str]
    category: tuple[str, ...]
    price: Decimal
    tax: Tax
    unit: str
    weighed: bool
    active: bool
    product_id: int | None = None

    @property
    def pk(self) -> int:
        assert self.product_id is not None
        return self.product_id


def _parse_bool(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{column}: {value!r} is not yes/no")


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def product_import(data: bytes | str, *, partial: bool = False) -> ImportReport:
    report = ImportReport(partial=partial)
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if header is None:
        report.errors.append(RowError(1, "the file is empty"))
        return report
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c and c not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s): {', '.join(unknown)}")
        report.errors.append(
            RowError(1, "; ".join(problems) + f" (columns are: {', '.join(COLUMNS)})")
        )
        return report
    index = {name: columns.index(name) for name in COLUMNS if name in columns}

    taxes = {t.name.casefold(): t for t in Tax.objects.all()}
    rows: list[_Row] = []
    seen_refs: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        report.rows += 1
        row = _parse_row(record, line, index, taxes, report)
        if row is None:
            continue
        clash = False
        if row.ref is not None:
            if row.ref in seen_refs:
                report.errors.append(
                    RowError(line, f"ref {row.ref!r} is also on line {seen_refs[row.ref]}")
                )
                clash = True
            else:
                seen_refs[row.ref] = line
        for code in row.barcodes:
            if code in seen_barcodes:
                report.errors.append(
                    RowError(line, f"barcode {code} is also on line {seen_barcodes[code]}")
                )
                clash = True
            else:
                seen_barcodes[code] = line
        if not clash:
            rows.append(row)

    _match_existing(rows, report)
    report.errors.sort(key=lambda e: e.line)
    if report.errors and not partial:
        return report
    bad_lines = {e.line for e in report.errors}
    good = [r for r in rows if r.line not in bad_lines]
    if good:
        _write(good, report)
    report.imported = bool(good)
    return report


def _parse_row(
    record: list[str],
    line: int,
    index: dict[str, int],
    taxes: dict[str, Tax],
    report: ImportReport,
) -> _Row | None:
    def cell(name: str) -> str:
        position = index.get(name)
        if position is None or position >= len(record):
            return ""
        return record[position].strip()

    problems: list[str] = []
    name = cell("name")
    if not name:
        problems.append("name is empty")
    elif len(name) > 200:
        problems.append("name is longer than 200 characters")
    ref = cell("ref") or None
    if ref is not None and len(ref) > 64:
        problems.append("ref is longer than 64 characters")
    barcodes: list[str] = []
    for raw in cell("barcodes").replace(";", "|").replace(" ", "|").split("|"):
        if not raw.strip():
            continue
        try:
            code = barcode_normalise(raw)
        except BarcodeError as exc:
            problems.append(exc.message)
            continue
        if code not in barcodes:
            barcodes.append(code)
    category = tuple(part.strip() for part in cell("category").split("/") if part.strip())
    if any(len(part) > 100 for part in category):
        problems.append("a category name is longer than 100 characters")
    price = Decimal(0)
    raw_price = cell("price")
    try:
        price = to_decimal(raw_price.replace(",", ".") if raw_price else "", places=2)
        if price < 0 or price > MAX_PRICE:
            problems.append(f"price {raw_price} is out of range")
    except MoneyError:
        problems.append(f"price {raw_price!r} is not an amount with at most 2 decimals")
    tax = taxes.get(cell("tax").casefold())
    if tax is None:
        known = ", ".join(sorted(t.name for t in taxes.values())) or "none defined"
        problems.append(f"tax {cell('tax')!r} is unknown (known: {known})")
    unit = cell("unit").lower() or Unit.PIECE
    if unit not in Unit.values:
        problems.append(f"unit {unit!r} is not one of {', '.join(Unit.values)}")
    weighed = active = False
    try:
        weighed = _parse_bool(cell("weighed"), "weighed")
        raw_active = cell("active")
        active = True if not raw_active else _parse_bool(raw_active, "active")
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        report.errors.extend(RowError(line, problem) for problem in problems)
        return None
    assert tax is not None
    return _Row(line, name, ref, barcodes, category, price, tax, unit, weighed, active)


def _match_existing(rows: list[_Row], report: ImportReport) -> None:
    """Find the product each row updates (by ref, else by its first barcode) and check
    that no barcode belongs to a product the file does not update."""
    by_ref = dict(
        Product.objects.filter(ref__in=[r.ref for r in rows if r.ref]).values_list("ref", "pk")
    )
    all_codes = [code for r in rows for code in r.barcodes]
    owner: dict[str, int] = {}
    for start in range(0, len(all_codes), 10_000):
        owner.update(
            Barcode.objects.filter(code__in=all_codes[start : start + 10_000]).values_list(
                "code", "product_id"
            )
        )
    for row in rows:
        if row.ref is not None and row.ref in by_ref:
            row.product_id = by_ref[row.ref]
        elif row.ref is None and row.barcodes and row.barcodes[0] in owner:
            row.product_id = owner[row.barcodes[0]]
    updated = {r.product_id for r in rows if r.product_id is not None}
    for row in rows:
        for code in row.barcodes:
            holder = owner.get(code)
            if holder is not None and holder != row.product_id and holder not in updated:
                report.errors.append(
                    RowError(row.line, f"barcode {code} belongs to another product (id {holder})")
                )


def _category_ids(paths: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """Category id of each path ("Drinks / Soft"), creating the missing categories."""
    known: dict[tuple[int | None, str], int] = {
        (parent, name.casefold()): pk
        for pk, parent, name in Category.objects.values_list("pk", "parent_id", "name")
    }
    result: dict[tuple[str, ...], int] = {}
    for path in sorted(set(paths)):
        parent: int | None = None
        for depth, name in enumerate(path):
            key = (parent, name.casefold())
            if key not in known:
                known[key] = Category.objects.create(name=name, parent_id=parent).pk
            parent = known[key]
            result[path[: depth + 1]] = parent
    return result


@transaction.atomic
def _write(rows: list[_Row], report: ImportReport) -> None:
    version = catalog_version_next()
    categories = _category_ids(r.category for r in rows if r.category)

    def fill(product: Product, row: _Row) -> Product:
        product.name = row.name
        product.ref = row.ref
        product.category_id = categories[row.category] if row.category else None
        product.price = row.price
        product.tax = row.tax
        product.unit = row.unit
        product.weighed = row.weighed
        product.active = row.active
        product.version = version
        return product

    new_rows = [r for r in rows if r.product_id is None]
    old_rows = [r for r in rows if r.product_id is not None]
    created = Product.objects.bulk_create([fill(Product(), r) for r in new_rows], batch_size=BATCH)
    for row, product in zip(new_rows, created, strict=True):
        row.product_id = product.pk
    if old_rows:
        existing = Product.objects.in_bulk([r.pk for r in old_rows])
        Product.objects.bulk_update(
            [fill(existing[r.pk], r) for r in old_rows if r.pk in existing],
            ["name", "ref", "category", "price", "tax", "unit", "weighed", "active", "version"],
            batch_size=BATCH,
        )
        old_ids = [r.pk for r in old_rows]
        for start in range(0, len(old_ids), 10_000):
            Barcode.objects.filter(product_id__in=old_ids[start : start + 10_000]).delete()
    # Barcodes that moved here from a product updated in this same file are free now.
    Barcode.objects.bulk_create(
        [Barcode(code=code, product_id=r.pk) for r in rows for code in r.barcodes],
        batch_size=BATCH,
    )
    report.created = len(new_rows)
    report.updated = len(old_rows)
