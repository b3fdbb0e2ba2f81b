"""Catalog download: full, paged, and incremental with price changes and removals."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

from kassa.server.catalog.models import Product
from kassa.server.catalog.services import product_create, products_delete, products_touch

from ..conftest import Device, Shop


def test_meta_has_taxes_categories_and_token(device: Device, shop: Shop) -> None:
    body = device.get("catalog").json()
    assert body["token"] == 4  # four products created, one version each
    assert [(t["name"], t["rate"], t["price_includes_tax"]) for t in body["taxes"]] == [
        ("VAT 21%", "21", True),
        ("VAT 9%", "9", True),
        ("VAT 21% net", "21", False),
    ]
    assert body["categories"] == [
        {"id": shop.drinks.pk, "name": "Drinks", "parent_id": None, "sort_order": 0}
    ]


def test_full_download(device: Device, shop: Shop) -> None:
    body = device.get("catalog/products").json()
    assert body["total"] == 4
    assert body["next_after"] is None
    assert body["deleted"] == []
    cola = next(p for p in body["products"] if p["ref"] == "COLA")
    assert cola == {
        "id": shop.cola.pk,
        "name": "Cola 330 ml",
        "ref": "COLA",
        "barcodes": ["5449000000996"],
        "category_id": shop.drinks.pk,
        "price": "0.99",
        "tax_id": shop.standard.pk,
        "unit": "pc",
        "weighed": False,
    }
    apples = next(p for p in body["products"] if p["ref"] == "APPLE")
    assert apples["weighed"] is True
    assert apples["unit"] == "kg"


def test_paging_walks_every_product_once(device: Device, shop: Shop) -> None:
    seen: list[int] = []
    after = 0
    while True:
        page = device.get("catalog/products", after=after, limit=3).json()
        seen += [p["id"] for p in page["products"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == sorted(Product.objects.values_list("pk", flat=True))


def test_incremental_download_has_changes_and_removals(device: Device, shop: Shop) -> None:
    token = device.get("catalog").json()["token"]
    assert device.get("catalog/products", since=token).json()["products"] == []
    # given a price change, a deactivation, a removal and a new product
    Product.objects.filter(pk=shop.cola.pk).update(price=Decimal("1.09"))
    products_touch(product_ids=[shop.cola.pk])
    Product.objects.filter(pk=shop.bread.pk).update(active=False)
    products_touch(product_ids=[shop.bread.pk])
    products_delete(product_ids=[shop.repair.pk])
    new = product_create(name="Lemonade", price="1.79", tax=shop.reduced, barcodes=["96385074"])
    # when the terminal asks for what changed
    body = device.get("catalog/products", since=token).json()
    # then
    assert [(p["name"], p["price"]) for p in body["products"]] == [
        ("Cola 330 ml", "1.09"),
        ("Lemonade", "1.79"),
    ]
    assert sorted(body["deleted"]) == sorted([shop.bread.pk, shop.repair.pk])
    assert body["token"] == token + 4
    # each with its barcodes (read for the changed products only, not their id range)
    assert {p["name"]: p["barcodes"] for p in body["products"]} == {
        "Cola 330 ml": ["5449000000996"],
        "Lemonade": ["96385074"],
    }
    assert new.pk == body["products"][1]["id"]
    assert device.get("catalog/products", since=body["token"]).json()["products"] == []


def test_gzip_when_asked(device: Device, shop: Shop) -> None:
    for i in range(40):
        product_create(name=f"Product {i}", price="1.00", tax=shop.standard)
    response = device.client.get(
        "/api/v1/catalog/products",
        headers={"Authorization": f"Bearer {device.token}", "Accept-Encoding": "gzip, br"},
    )
    assert response["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.content))
    assert len(body["products"]) == 44
    # the plain page, now from cache, is the same document
    assert device.get("catalog/products").json() == body


def test_bad_query_is_a_json_422(device: Device) -> None:
    for params in ({"limit": 0}, {"limit": 100001}, {"since": -1}, {"after": "x"}):
        response = device.get("catalog/products", **params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_request"


def test_a_cached_page_is_never_served_after_a_change(device: Device, shop: Shop) -> None:
    # given a full download, which the server caches
    first = device.get("catalog/products").json()
    assert next(p["price"] for p in first["products"] if p["ref"] == "COLA") == "0.99"
    assert device.get("catalog/products").json() == first
    # when the price changes
    Product.objects.filter(pk=shop.cola.pk).update(price=Decimal("1.29"))
    products_touch(product_ids=[shop.cola.pk])
    # then the next full download has it
    again = device.get("catalog/products").json()
    assert next(p["price"] for p in again["products"] if p["ref"] == "COLA") == "1.29"
    assert again["token"] == first["token"] + 1


def test_a_delta_is_the_same_whether_it_fits_a_page_or_not(device: Device, shop: Shop) -> None:
    # Given twelve changes spread over the ids, with barcodes, and one deactivation
    token = device.get("catalog").json()["token"]
    made = [
        product_create(
            name=f"Delta {n}", price="1.00", tax=shop.standard, barcodes=[f"DELTA-{n}"]
        ).pk
        for n in range(12)
    ]
    Product.objects.filter(pk__in=made[::3]).update(price=Decimal("2.00"))
    products_touch(product_ids=made[::3])
    Product.objects.filter(pk=made[1]).update(active=False)
    products_touch(product_ids=[made[1]])

    def walk(limit: int) -> tuple[list[tuple[int, str, list[str]]], list[int]]:
        products, deleted, after = [], [], 0
        while after is not None:
            body = device.get("catalog/products", since=token, after=after, limit=limit).json()
            products += [(p["id"], p["price"], p["barcodes"]) for p in body["products"]]
            deleted += body["deleted"]
            after = body["next_after"]
        return products, deleted

    # When the delta is read in one page (through the version index) and in pages of
    # five (the rest does not fit: by walking the ids), then both give every change once,
    # in id order, with its own barcodes
    whole = walk(100)
    paged = walk(5)
    expected = [
        (pk, "2.00" if n % 3 == 0 else "1.00", [f"DELTA-{n}"])
        for n, pk in enumerate(made)
        if n != 1
    ]
    assert whole == paged == (expected, [made[1]])
