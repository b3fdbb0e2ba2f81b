"""Product CSV import: every bad row reported by line, all-or-nothing unless partial."""

from __future__ import annotations

from decimal import Decimal

import pytest

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
