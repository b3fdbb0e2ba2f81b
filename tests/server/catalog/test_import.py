"""Product CSV import: every bad row reported by line, all-or-nothing unless partial."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection

from kassa.server.catalog import importer
from kassa.server.catalog.importer import product_import
from kassa.server.catalog.models import Barcode, Category, Product
from kassa.server.catalog.selectors import catalog_version_current

from ..conftest import Shop

HEADER = "name,ref,barcodes,category,price,tax,unit,weighed,active\n"


def test_good_file_creates_products_categories_and_barcodes(shop: Shop) -> None:
    version = catalog_version_current()
    report = product_import(
        HEADER
        + "Espresso beans 1 kg,COF1,8712345678906,Drinks / Coffee,14.95,VAT 9%,pc,no,yes\n"
        + '"Tea, green",TEA1,40170725|012345678905,Drinks / Tea,3.50,vat 9%,,,\n'
        + "Cheese by weight,CHS1,2100007000008,Deli,18.90,VAT 9%,kg,yes,\n"
    )
    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.imported) == (3, 3, 0, True)
    tea = Product.objects.get(ref="TEA1")
    assert tea.name == "Tea, green"
    assert tea.price == Decimal("3.50")
    assert tea.tax == shop.reduced
    assert tea.unit == "pc"
    assert tea.active is True
    # UPC-A is stored as its EAN-13
    assert sorted(tea.barcodes.values_list("code", flat=True)) == ["0012345678905", "40170725"]
    assert tea.category.path == "Drinks / Tea"
    assert Category.objects.filter(name="Drinks").count() == 1  # reused, not duplicated
    assert Product.objects.get(ref="CHS1").weighed is True
    assert tea.version == version + 1


def test_errors_are_reported_by_line_and_nothing_is_imported(shop: Shop) -> None:
    before = (Product.objects.count(), Barcode.objects.count(), Category.objects.count())
    report = product_import(
        HEADER
        + "Good,G1,,,1.00,VAT 21%,,,\n"  # line 2
        + ",N1,,,1.00,VAT 21%,,,\n"  # line 3: no name
        + "Bad price,P1,,,1.999,VAT 21%,,,\n"  # line 4
        + "Bad tax,T1,,,1.00,VAT 99%,,,\n"  # line 5
        + "Bad barcode,B1,8712345678901,,1.00,VAT 21%,,,\n"  # line 6
        + "Dup ref,G1,,,1.00,VAT 21%,,,\n"  # line 7
        + "Taken barcode,X1,5449000000996,New category,1.00,VAT 21%,,,\n"  # line 8
        + "Bad unit,U1,,,1.00,VAT 21%,box,maybe,\n"  # line 9
        + "Negative,M1,,,-1.00,VAT 21%,,,\n"  # line 10
    )
    assert report.imported is False
    assert [(e.line, e.message) for e in report.errors] == [
        (3, "name is empty"),
        (4, "price '1.999' is not an amount with at most 2 decimals"),
        (5, "tax 'VAT 99%' is unknown (known: VAT 21%, VAT 21% net, VAT 9%)"),
        (6, "barcode 8712345678901: wrong check digit"),
        (7, "ref 'G1' is also on line 2"),
        (8, f"barcode 5449000000996 belongs to another product (id {shop.cola.pk})"),
        (9, "unit 'box' is not one of pc, kg, l, m"),
        (9, "weighed: 'maybe' is not yes/no"),
        (10, "price -1.00 is out of range"),
    ]
    assert report.rejected == 8
    assert report.summary().startswith("Nothing imported: 8 of 9 rows have errors.")
    assert (Product.objects.count(), Barcode.objects.count(), Category.objects.count()) == before


def test_partial_import_keeps_the_good_rows_and_says_so(shop: Shop) -> None:
    report = product_import(
        HEADER + "Good,G1,,,1.00,VAT 21%,,,\n" + "Bad,G2,,,abc,VAT 21%,,,\n", partial=True
    )
    assert report.imported is True
    assert (report.created, report.rejected) == (1, 1)
    assert "1 rows with errors were skipped (partial import)" in report.summary()
    assert list(Product.objects.filter(ref__in=["G1", "G2"]).values_list("ref", flat=True)) == [
        "G1"
    ]


def test_reimport_updates_by_ref_and_moves_barcodes(shop: Shop) -> None:
    # the cola gets a new price and gives its barcode to a new product in the same file
    report = product_import(
        HEADER
        + "Cola 330 ml,COLA,,Drinks,1.09,VAT 21%,,,\n"
        + "Cola zero,COLA0,5449000000996,Drinks,1.09,VAT 21%,,,\n"
    )
    assert report.errors == []
    assert (report.created, report.updated) == (1, 1)
    cola = Product.objects.get(pk=shop.cola.pk)
    assert cola.price == Decimal("1.09")
    assert list(cola.barcodes.all()) == []
    assert Barcode.objects.get(code="5449000000996").product.ref == "COLA0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "line 1: the file is empty"),
        ("name,price\nX,1.00\n", "line 1: missing column(s): tax"),
        ("name,price,tax,colour\n", "line 1: unknown column(s): colour"),
    ],
)
def test_bad_header(shop: Shop, content: str, message: str) -> None:
    report = product_import(content)
    assert report.imported is False
    assert message in report.summary()


def test_semicolon_separated_cp1252_file(shop: Shop) -> None:
    data = "name;ref;price;tax\nCrème brûlée;CB1;3,10;VAT 9%\n".encode("cp1252")
    report = product_import(data)
    assert report.errors == []
    assert Product.objects.get(ref="CB1").name == "Crème brûlée"
    assert Product.objects.get(ref="CB1").price == Decimal("3.10")


def _many(count: int, *, price: str, start: int = 0) -> str:
    rows = [
        f"Bulk item {n},BULK{n},{ean13(f'873{n:09d}')},Bulk / Shelf {n % 7},{price},VAT 21%,,,\n"
        for n in range(start, start + count)
    ]
    return HEADER + "".join(rows)


def ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


@pytest.fixture
def few_sql_variables(db: None) -> Iterator[None]:
    """SQLite refusing more than 100 variables a statement (as older builds refuse more
    than 999): a lookup of the whole file in one IN (...) fails, chunked ones pass. On
    PostgreSQL, which has no such limit and looks values up by arrays, the arrays are made
    as small."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
        yield
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    else:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(importer, "LOOKUP_CHUNK", 100)
            patch.setattr(importer, "ARRAY_CHUNK", 100)
            yield


def test_a_large_file_is_looked_up_and_written_in_chunks(
    shop: Shop, few_sql_variables: None
) -> None:
    # Given 2,500 products already imported (more than 20 chunks of refs and barcodes)
    first = product_import(_many(2500, price="1.00"))
    assert (first.created, first.errors) == (2500, [])
    # When the file comes again with new prices and 500 more products
    report = product_import(_many(3000, price="2.50"))
    # Then each existing product is updated in place and the new ones created
    assert report.errors == []
    assert (report.created, report.updated) == (500, 2500)
    bulk = Product.objects.filter(ref__startswith="BULK")
    assert bulk.count() == 3000
    assert set(bulk.values_list("price", flat=True)) == {Decimal("2.50")}
    last = Product.objects.get(ref="BULK2999")
    assert list(last.barcodes.values_list("code", flat=True)) == [ean13("873000002999")]
    assert last.category is not None
    assert last.category.path == "Bulk / Shelf 3"
    assert Barcode.objects.filter(product__ref__startswith="BULK").count() == 3000
    # and a barcode of the file held by a product the file does not name is still caught
    taken = product_import(
        HEADER
        + f"Thief,THIEF,{ean13('873000000007')},,1.00,VAT 21%,,,\n"
        + _many(200, price="3.00", start=5000).removeprefix(HEADER)
    )
    assert [e.message for e in taken.errors] == [
        f"barcode {ean13('873000000007')} belongs to another product "
        f"(id {Product.objects.get(ref='BULK7').pk})"
    ]
    assert taken.imported is False
    assert Product.objects.get(ref="BULK7").price == Decimal("2.50")


def test_new_products_never_reuse_an_id(shop: Shop) -> None:
    # Given the newest product deleted (its id may be in an order or on a till)
    product_import(HEADER + "Gone soon,GONE,,,1.00,VAT 21%,,,\n")
    gone = Product.objects.get(ref="GONE").pk
    Product.objects.filter(pk=gone).delete()
    # When products are imported, and one more made through the ORM afterwards
    report = product_import(HEADER + "New A,NEWA,,,1.00,VAT 21%,,,\nNew B,NEWB,,,1.00,VAT 21%,,,\n")
    made = Product.objects.create(name="After", price=Decimal(1), tax=shop.standard)
    # Then the ids follow on past the deleted one, and the table's own counter knows them
    assert report.created == 2
    ids = [Product.objects.get(ref="NEWA").pk, Product.objects.get(ref="NEWB").pk]
    assert ids == [gone + 1, gone + 2]
    assert made.pk == gone + 3


def test_sqlite_page_cache_is_put_back_after_an_import(shop: Shop) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
    seen = []
    real = importer._write_rows

    def spy(rows: list, report: importer.ImportReport) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            seen.append(cursor.fetchone()[0])
        real(rows, report)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "_write_rows", spy)
        report = product_import(_many(10, price="1.00"))
    assert report.created == 10
    assert seen == [-importer.SQLITE_IMPORT_CACHE_KIB]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("Ok,R1,,,12.5,VAT 21%,,,", None),
        ("Ok,R1,,,0012,VAT 21%,,,", None),
        ("Ok,R1,,,9999999999.99,VAT 21%,,,", None),
        ("Ok,R1,,,10000000000.00,VAT 21%,,,", "price 10000000000.00 is out of range"),
        ('Ok,R1,,,"1,5",VAT 21%,,,', None),
        ("Ok,R1,,,+1.50,VAT 21%,,,", None),
        ("Ok,R1,,,1.,VAT 21%,,,", None),
        ("Ok,R1,,,.5,VAT 21%,,,", None),
        ("Ok,R1,,,1e2,VAT 21%,,,", None),
        ("Ok,R1,,,1.005,VAT 21%,,,", "price '1.005' is not an amount with at most 2 decimals"),
        ("Ok,R1,,,１,VAT 21%,,,", None),
        ("Ok,R1,40170725 ;012345678905,,1.00,VAT 21%,,,", None),
        ("Ok,R1,４0170725,,1.00,VAT 21%,,,", "barcode '４0170725': only letters"),
        ("Ok,R1,40170726,,1.00,VAT 21%,,,", "barcode 40170726: wrong check digit"),
        ("Ok,R1,,,1.00,VAT 21%,,Yes,NO", None),
        ("Ok,R1,,,1.00,VAT 21%,,maybe,perhaps", "weighed: 'maybe' is not yes/no"),
        ("Ok,R1,,,1.00,VAT 21%,,no,perhaps", "active: 'perhaps' is not yes/no"),
        ("Ok,R1,,,1.00", "tax '' is unknown"),
    ],
)
def test_each_cell_is_checked_as_the_back_office_would(
    shop: Shop, cells: str, message: str | None
) -> None:
    # The import's fast paths (a plain price, an ASCII GTIN) against the general checks
    report = product_import(HEADER + cells + "\n", partial=True)
    if message is None:
        assert report.errors == []
        return
    assert len(report.errors) == 1
    assert report.errors[0].message.startswith(message), report.errors[0].message
