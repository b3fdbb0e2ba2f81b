"""Catalog reads for terminals, built for 100,000 products: plain cursors, no model
instances, and JSON bytes produced by orjson."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from .models import Barcode, Category, Product, Tax, Tombstone
from .services import catalog_version_current

_CENT = Decimal("0.01")


def _decimal_str(value: Any) -> str:
    # A raw cursor gets Decimal from PostgreSQL but int or float from SQLite's NUMERIC
    # column; going through str() is what Django's own SQLite converter does.
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return str(value.quantize(_CENT))


def catalog_meta() -> dict[str, Any]:
    return {
        "token": catalog_version_current(),
        "taxes": [
            {
                "id": t.pk,
                "name": t.name,
                "rate": f"{t.rate.normalize():f}",
                "price_includes_tax": t.price_includes_tax,
            }
            for t in Tax.objects.order_by("pk")
        ],
        "categories": [
            {"id": pk, "name": name, "parent_id": parent, "sort_order": order}
            for pk, name, parent, order in Category.objects.order_by(
                "sort_order", "name"
            ).values_list("pk", "name", "parent_id", "sort_order")
        ],
    }


def catalog_products(*, since: int | None, after: int, limit: int) -> dict[str, Any]:
    """One page of products ordered by id.

    Without `since`, the active products (a full download). With `since`, the products
    changed after that token, and in `deleted` the ids of those deactivated or removed.
    The token is read before the rows, so a change committed meanwhile is sent again next
    time rather than missed.
    """
    token = catalog_version_current()
    product = Product._meta.db_table
    barcode = Barcode._meta.db_table
    where = "p.id > %s"
    params: list[Any] = [after]
    if since is None:
        where += " AND p.active"
    else:
        where += " AND p.version > %s"
        params.append(since)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.name, p.ref, p.category_id, p.price, p.tax_id, p.unit, p.weighed, "  # noqa: S608
            f"p.active FROM {product} p WHERE {where} ORDER BY p.id LIMIT %s",
            [*params, limit],
        )
        rows = cursor.fetchall()
        codes: dict[int, list[str]] = {}
        if rows:
            cursor.execute(
                f"SELECT product_id, code FROM {barcode} "  # noqa: S608
                "WHERE product_id > %s AND product_id <= %s ORDER BY id",
                [after, rows[-1][0]],
            )
            for product_id, code in cursor.fetchall():
                codes.setdefault(product_id, []).append(code)
    products = []
    deleted = []
    for pk, name, ref, category_id, price, tax_id, unit, weighed, active in rows:
        if not active:
            deleted.append(pk)
            continue
        products.append(
            {
                "id": pk,
                "name": name,
                "ref": ref,
                "barcodes": codes.get(pk, []),
                "category_id": category_id,
                "price": _decimal_str(price),
                "tax_id": tax_id,
                "unit": unit,
                "weighed": bool(weighed),
            }
        )
    if since is not None and len(rows) < limit:
        # Removed products have no row left: their tombstones come with the last page.
        deleted.extend(
            Tombstone.objects.filter(version__gt=since).values_list("product_id", flat=True)
        )
    result: dict[str, Any] = {
        "token": token,
        "products": products,
        "deleted": deleted,
        "next_after": rows[-1][0] if len(rows) == limit else None,
    }
    if since is None and after == 0:
        result["total"] = Product.objects.filter(active=True).count()
    return result
