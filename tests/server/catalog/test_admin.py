"""The back office: products, and their CSV import."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kassa.server.catalog.models import Product

from ..conftest import Shop


def test_product_pages_and_csv_import(admin_client: Client, shop: Shop) -> None:
    assert admin_client.get("/admin/catalog/product/").status_code == 200
    page = admin_client.get("/admin/catalog/product/import/")
    assert page.status_code == 200
    upload = SimpleUploadedFile(
        "products.csv", b"name,ref,price,tax\nMints,MINT,1.20,VAT 21%\nBroken,BRK,x,VAT 21%\n"
    )
    response = admin_client.post("/admin/catalog/product/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "line 3" not in html or "is not an amount" in html
    assert re.search(r"<td>3</td><td>price &#x27;x&#x27; is not an amount", html)
    assert not Product.objects.filter(ref="MINT").exists()
    upload = SimpleUploadedFile(
        "products.csv", b"name,ref,price,tax\nMints,MINT,1.20,VAT 21%\nBroken,BRK,x,VAT 21%\n"
    )
    admin_client.post("/admin/catalog/product/import/", {"file": upload, "partial": "on"})
    assert Product.objects.get(ref="MINT").price == Decimal("1.20")


def test_editing_a_product_marks_it_changed_for_terminals(admin_client: Client, shop: Shop) -> None:
    before = Product.objects.get(pk=shop.cola.pk).version
    response = admin_client.post(
        f"/admin/catalog/product/{shop.cola.pk}/change/",
        {
            "name": "Cola 330 ml",
            "ref": "COLA",
            "category": shop.drinks.pk,
            "price": "1.19",
            "tax": shop.standard.pk,
            "unit": "pc",
            "active": "on",
            "barcodes-TOTAL_FORMS": "1",
            "barcodes-INITIAL_FORMS": "0",
            "barcodes-MIN_NUM_FORMS": "0",
            "barcodes-MAX_NUM_FORMS": "1000",
            "barcodes-0-code": "",
            "barcodes-0-id": "",
            "barcodes-0-product": shop.cola.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cola = Product.objects.get(pk=shop.cola.pk)
    assert cola.price == Decimal("1.19")
    assert cola.version > before
