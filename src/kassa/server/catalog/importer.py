"""Product CSV import: `product_import`, a service (it writes) of its own module for its
size. The format is described in docs/import.md.

The whole file is validated before anything is written. With errors, nothing is imported
unless `partial=True`, in which case the good rows are imported and the report says so.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import operator
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kassa.money import MoneyError, to_decimal

from .barcodes import BarcodeError, barcode_normalise
from .models import Barcode, Category, Product, Tax, Unit
from .services import catalog_version_next

COLUMNS = ("name", "ref", "barcodes", "category", "price", "tax", "unit", "weighed", "active")
REQUIRED = ("name", "price", "tax")
MAX_PRICE = Decimal("9999999999.99")
BATCH = 2000
# Values per `IN (…)` lookup (see _lookup_chunk); a module constant so tests can lower it.
LOOKUP_CHUNK = 10_000
# Values per array lookup on PostgreSQL (no variable limit there; bounds one query's size).
ARRAY_CHUNK = 250_000
# Unit.values is computed at each call; and a row keeps this shared string, not a copy.
_UNITS = {unit: unit for unit in Unit.values}
_BOOLEANS = dict.fromkeys(("1", "true", "yes", "y"), True) | dict.fromkeys(
    ("0", "false", "no", "n", ""), False
)


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


@dataclass(slots=True)
class _Row:
    line: int
    name: str
    ref: str | None
    barcodes: tuple[str, ...]
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


def _text(data: bytes | str) -> io.TextIOBase:
    """The file as text, decoded as it is read rather than copied whole: UTF-8 (with or
    without its byte order mark) when every byte of it is, else Windows-1252, else Latin-1.
    A million-row file is ~100 MB; the check runs in pieces, so no second copy is kept."""
    if isinstance(data, str):
        return io.StringIO(data)
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    return io.TextIOWrapper(io.BytesIO(data), encoding="latin-1", newline="")


def product_import(data: bytes | str, *, partial: bool = False) -> ImportReport:
    report = ImportReport(partial=partial)
    text = _text(data)
    sample = text.read(4096)
    text.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
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
    parse = _row_parser(index, taxes, report)
    rows: list[_Row] = []
    seen_refs: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if not "".join(record).strip():
            continue
        report.rows += 1
        row = parse(record, line)
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
    del seen_refs, seen_barcodes  # a million rows' worth: not needed any more

    _match_existing(rows, report)
    report.errors.sort(key=lambda e: e.line)
    if report.errors and not partial:
        return report
    bad_lines = {e.line for e in report.errors}
    good = [r for r in rows if r.line not in bad_lines] if bad_lines else rows
    if good:
        _write(good, report)
    report.imported = bool(good)
    return report


_PRICE = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?\Z")
_CENT = Decimal("0.01")


def _row_parser(
    columns: dict[str, int], taxes: dict[str, Tax], report: ImportReport
) -> Callable[[list[str], int], _Row | None]:
    """The checks of one row, made once per file: the columns' positions fetched by one
    itemgetter (a missing column reads the empty cell appended to each record), the
    common cases first (a plain price, one GTIN, a known category path); anything else
    goes through the same checks as the back office, with the same messages."""
    width = max(columns.values()) + 1
    fields = operator.itemgetter(*(columns.get(name, -1) for name in COLUMNS))
    padding = [""] * width
    known_taxes = ", ".join(sorted(t.name for t in taxes.values())) or "none defined"
    # One tuple per distinct path (and whether a name in it is too long): a million rows
    # share a few thousand categories.
    paths: dict[str, tuple[tuple[str, ...], bool]] = {}
    errors = report.errors

    def parse(record: list[str], line: int) -> _Row | None:
        if len(record) < width:
            record = record + padding[len(record) :]
        record.append("")
        (
            name,
            ref,
            raw_codes,
            raw_category,
            raw_price,
            raw_tax,
            raw_unit,
            raw_weighed,
            raw_active,
        ) = (cell.strip() for cell in fields(record))
        problems: list[str] = []
        if not name:
            problems.append("name is empty")
        elif len(name) > 200:
            problems.append("name is longer than 200 characters")
        if len(ref) > 64:
            problems.append("ref is longer than 64 characters")
        barcodes: tuple[str, ...] = ()
        if raw_codes:
            found: list[str] = []
            for raw in raw_codes.replace(";", "|").replace(" ", "|").split("|"):
                if not raw.strip():
                    continue
                try:
                    code = barcode_normalise(raw)
                except BarcodeError as exc:
                    problems.append(exc.message)
                    continue
                if code not in found:
                    found.append(code)
            barcodes = tuple(found)
        known = paths.get(raw_category)
        if known is None:
            parts = tuple(part.strip() for part in raw_category.split("/") if part.strip())
            known = paths[raw_category] = (parts, any(len(part) > 100 for part in parts))
        category, too_long = known
        if too_long:
            problems.append("a category name is longer than 100 characters")
        price = Decimal(0)
        if raw_price and _PRICE.match(raw_price):
            # At most ten digits and two decimals: in range, and exact as a Decimal.
            price = Decimal(raw_price).quantize(_CENT)
        else:
            try:
                price = to_decimal(raw_price.replace(",", ".") if raw_price else "", places=2)
                if price < 0 or price > MAX_PRICE:
                    problems.append(f"price {raw_price} is out of range")
            except MoneyError:
                problems.append(f"price {raw_price!r} is not an amount with at most 2 decimals")
        tax = taxes.get(raw_tax.casefold())
        if tax is None:
            problems.append(f"tax {raw_tax!r} is unknown (known: {known_taxes})")
        unit = _UNITS.get(raw_unit.lower() or Unit.PIECE.value)
        if unit is None:
            problems.append(f"unit {raw_unit.lower()!r} is not one of {', '.join(_UNITS)}")
        weighed = _BOOLEANS.get(raw_weighed.lower())
        active: bool | None = True
        if weighed is None:
            problems.append(f"weighed: {raw_weighed!r} is not yes/no")
        elif raw_active:
            active = _BOOLEANS.get(raw_active.lower())
            if active is None:
                problems.append(f"active: {raw_active!r} is not yes/no")
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
            return None
        assert tax is not None and unit is not None
        assert weighed is not None and active is not None
        return _Row(line, name, ref or None, barcodes, category, price, tax, unit, weighed, active)

    return parse


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _batches(records: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while batch := list(itertools.islice(records, size)):
        yield batch


def _lookup_chunk() -> int:
    """Values per `IN (…)` on SQLite: below its variable limit (999 on older builds; read
    from the connection itself), so a file of any size is looked up in many small queries
    rather than one that SQLite refuses with "too many SQL variables"."""
    connection.ensure_connection()
    limit: int = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(LOOKUP_CHUNK, limit))


def _match_existing(rows: list[_Row], report: ImportReport) -> None:
    """Find the product each row updates (by ref, else by its first barcode) and check
    that no barcode belongs to a product the file does not update."""
    # An empty catalog (the first import of a big store) has nothing to match.
    if not Product.objects.exists():
        return
    # The refs matched and let go before the barcodes are fetched: a million of each
    # held at once took a re-import of a million rows past 1 GB.
    by_ref = _pairs(Product._meta.db_table, "ref", "id", [r.ref for r in rows if r.ref])
    for row in rows:
        if row.ref is not None and row.ref in by_ref:
            row.product_id = by_ref[row.ref]
    del by_ref
    codes = [code for r in rows for code in r.barcodes]
    owner = _pairs(Barcode._meta.db_table, "code", "product_id", codes)
    del codes
    if not owner:
        return
    for row in rows:
        if row.ref is None and row.barcodes and row.barcodes[0] in owner:
            row.product_id = owner[row.barcodes[0]]
    updated = {r.product_id for r in rows if r.product_id is not None}
    for row in rows:
        for code in row.barcodes:
            holder = owner.get(code)
            if holder is not None and holder != row.product_id and holder not in updated:
                report.errors.append(
                    RowError(row.line, f"barcode {code} belongs to another product (id {holder})")
                )


def _pairs(table: str, key: str, value: str, keys: list[str]) -> dict[str, int]:
    """`{key: value}` of the rows of `table` whose `key` is one of `keys`."""
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array a lookup, joined by hash: 10,000-value IN lists took 23 s of a
            # 300,000-row import at load 6 (the server plans each list), this ~1 s.
            for chunk in _chunks(keys, ARRAY_CHUNK):
                cursor.execute(
                    f"SELECT t.{key}, t.{value} FROM {table} t "  # noqa: S608
                    f"JOIN unnest(%s::text[]) AS f(v) ON t.{key} = f.v",
                    [chunk],
                )
                found.update(cursor.fetchall())
        else:
            # Plain SQL: the ORM takes longer to compile a 10,000-value IN than to run it.
            for chunk in _chunks(keys, _lookup_chunk()):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {key}, {value} FROM {table} WHERE {key} IN ({marks})",  # noqa: S608
                    chunk,
                )
                found.update(cursor.fetchall())
    return found


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


_PRODUCT_COLUMNS = (
    "name",
    "ref",
    "category_id",
    "price",
    "tax_id",
    "unit",
    "weighed",
    "active",
    "version",
    "updated_at",
)


# SQLite's page cache while an import writes, in KiB (a negative cache_size): the default
# 2 MB cannot hold the indexes a 300,000-row import updates, so their pages were written
# out and read back again and again (the write phase: 9.2 -> 7.1 s new, 18.8 -> 11.6 s
# again at 300,000 with 256 MB, one run each at load 6). 64 MB, so that a million rows stay
# within 1 GB. Pages are taken only as used; the value is put back.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def _sqlite_import_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(SQLITE_IMPORT_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _write(rows: list[_Row], report: ImportReport) -> None:
    with _sqlite_import_cache(), transaction.atomic():
        _write_rows(rows, report)


def _write_rows(rows: list[_Row], report: ImportReport) -> None:
    """Plain SQL, not model instances: `executemany` of one-row statements on SQLite (its
    C loop, no variable limit), COPY on PostgreSQL. New products get ids taken first, so
    their barcodes need no read back."""
    version = catalog_version_next()  # holds the catalog's write lock until the commit
    categories = _category_ids(r.category for r in rows if r.category)
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    stamp: Any = now if postgres else connection.ops.adapt_datetimefield_value(now)

    def values(row: _Row) -> tuple[Any, ...]:
        return (
            row.name,
            row.ref,
            categories[row.category] if row.category else None,
            row.price if postgres else str(row.price),
            row.tax.pk,
            row.unit,
            row.weighed,
            row.active,
            version,
            stamp,
        )

    new_rows = [r for r in rows if r.product_id is None]
    old_rows = [r for r in rows if r.product_id is not None]
    for row, pk in zip(new_rows, _new_product_ids(len(new_rows)), strict=True):
        row.product_id = pk
    product = Product._meta.db_table
    barcode = Barcode._meta.db_table
    with connection.cursor() as cursor:
        if old_rows and postgres:
            # The new values copied into a temporary table, then one UPDATE … FROM and one
            # DELETE: an UPDATE a row took minutes for a million.
            cursor.execute(
                f"CREATE TEMPORARY TABLE kassa_import_update ON COMMIT DROP AS "  # noqa: S608
                f"SELECT id, {', '.join(_PRODUCT_COLUMNS)} FROM {product} WITH NO DATA"
            )
            _copy(
                cursor,
                "kassa_import_update",
                ("id", *_PRODUCT_COLUMNS),
                ((r.pk, *values(r)) for r in old_rows),
            )
            assignments = ", ".join(f"{column} = u.{column}" for column in _PRODUCT_COLUMNS)
            cursor.execute(
                f"UPDATE {product} p SET {assignments} "  # noqa: S608
                "FROM kassa_import_update u WHERE p.id = u.id"
            )
            cursor.execute(
                f"DELETE FROM {barcode} b USING kassa_import_update u "  # noqa: S608
                "WHERE b.product_id = u.id"
            )
        elif old_rows:
            assignments = ", ".join(f"{column} = %s" for column in _PRODUCT_COLUMNS)
            for batch in _chunks(old_rows, BATCH):
                cursor.executemany(
                    f"UPDATE {product} SET {assignments} WHERE id = %s",  # noqa: S608
                    [(*values(r), r.pk) for r in batch],
                )
            size = _lookup_chunk()
            for ids in _chunks([r.pk for r in old_rows], size):
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"DELETE FROM {barcode} WHERE product_id IN ({marks})",  # noqa: S608
                    ids,
                )
        # Barcodes that moved here from a product updated in this same file are free now.
        codes = ((code, r.pk) for r in rows for code in r.barcodes)
        new_products = ((r.pk, *values(r)) for r in new_rows)
        columns = ("id", *_PRODUCT_COLUMNS)
        if postgres:
            _copy(cursor, product, columns, new_products)
            _copy(cursor, barcode, ("code", "product_id"), codes)
        else:
            marks = ", ".join(["%s"] * len(columns))
            for batch in _batches(new_products, BATCH * 10):
                cursor.executemany(
                    f"INSERT INTO {product} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                    batch,
                )
            for batch in _batches(codes, BATCH * 10):
                cursor.executemany(
                    f"INSERT INTO {barcode} (code, product_id) VALUES (%s, %s)",  # noqa: S608
                    batch,
                )
    report.created = len(new_rows)
    report.updated = len(old_rows)


def _new_product_ids(count: int) -> list[int]:
    """Ids for new products, taken before they are written. PostgreSQL hands them out from
    the table's own sequence (safe beside concurrent inserts); on SQLite the catalog's
    write lock, taken by catalog_version_next, keeps every other writer out, and the next
    ids are past both the highest id and the AUTOINCREMENT counter (ids are never reused)."""
    if not count:
        return []
    table = Product._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        counter = cursor.fetchone()
        first = max(highest, counter[0] if counter else 0) + 1
    return list(range(first, first + count))


def _copy(
    cursor: Any, table: str, columns: tuple[str, ...], records: Iterable[tuple[Any, ...]]
) -> None:
    """COPY … FROM STDIN through psycopg's writer: the rows stream to the server."""
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for record in records:
            copy.write_row(record)
