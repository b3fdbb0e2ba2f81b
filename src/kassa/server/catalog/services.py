"""Catalog writes. Every product write bumps the catalog version (see
models.CatalogVersion); every tax write is recorded on the server's journal chain."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from kassa.server.common.locks import sales_lock
from kassa.server.journal.services import server_chain_append

from .barcodes import barcode_normalise
from .models import Barcode, CatalogVersion, Category, Product, Tax, Tombstone


def catalog_version_next() -> int:
    """Take the next catalog version, holding its row lock until the transaction ends.

    The lock orders catalog writers: a terminal that read version N can never miss a
    change that commits later with a version at or below N.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("catalog_version_next() must run inside transaction.atomic()")
    row, _ = CatalogVersion.objects.select_for_update().get_or_create(pk=1)
    row.value += 1
    row.save(update_fields=["value"])
    return row.value


@transaction.atomic
def products_touch(*, product_ids: Iterable[int]) -> int:
    """Mark products changed (after an edit in the back office) for incremental downloads.

    Taxes, categories and payment methods are small and sent whole on every sync.
    """
    version = catalog_version_next()
    Product.objects.filter(pk__in=list(product_ids)).update(version=version)
    return version


@transaction.atomic
def products_set_active(*, product_ids: Iterable[int], active: bool) -> int:
    """Activate or deactivate products (terminals stop selling inactive ones); returns
    the catalog version that carries the change."""
    ids = list(product_ids)
    version = catalog_version_next()
    Product.objects.filter(pk__in=ids).update(active=active, version=version)
    return version


@transaction.atomic
def product_create(
    *,
    name: str,
    price: Decimal | str,
    tax: Tax,
    ref: str | None = None,
    category: Category | None = None,
    unit: str = "pc",
    weighed: bool = False,
    active: bool = True,
    barcodes: Sequence[str] = (),
) -> Product:
    version = catalog_version_next()
    product = Product(
        name=name,
        ref=ref or None,
        category=category,
        price=Decimal(str(price)),
        tax=tax,
        unit=unit,
        weighed=weighed,
        active=active,
        version=version,
    )
    product.full_clean()
    product.save()
    Barcode.objects.bulk_create(
        [Barcode(code=barcode_normalise(code), product=product) for code in barcodes]
    )
    return product


@transaction.atomic
def products_delete(*, product_ids: Sequence[int]) -> int:
    """Remove products for good (only those never sold; others must be deactivated).

    A sold product is protected by PROTECT on OrderLine.product, checked below in Python:
    order lines have no database constraint to their product. So first wait for the order
    syncs in flight and hold off new ones (see common.locks.sales_lock), or a sync could
    store a line of a product deleted in between.
    """
    sales_lock(exclusive=True)
    version = catalog_version_next()
    ids = list(product_ids)
    Tombstone.objects.bulk_create([Tombstone(product_id=pk, version=version) for pk in ids])
    deleted, _ = Product.objects.filter(pk__in=ids).delete()
    return deleted


# What a till's prices and receipts depend on: a change is recorded on the server chain.
TAX_RECORDED_FIELDS = ("name", "rate", "price_includes_tax")


def _tax_record(tax: Tax) -> dict[str, Any]:
    return {
        "id": tax.pk,
        "name": tax.name,
        "rate": f"{Decimal(tax.rate).normalize():f}",
        "price_includes_tax": tax.price_includes_tax,
    }


@transaction.atomic
def tax_save(*, tax: Tax, by: str, changed: Collection[str] | None = None) -> Tax:
    """Save a tax (from the back office) and record it on the server's journal chain
    (TAX_CHANGED), in the same transaction. `changed` names the fields that changed
    (a form's changed_data); None records them all. A save that changes none of
    TAX_RECORDED_FIELDS records nothing."""
    created = tax.pk is None
    tax.full_clean()
    tax.save()
    fields = [f for f in TAX_RECORDED_FIELDS if created or changed is None or f in changed]
    if fields:
        server_chain_append(
            type="TAX_CHANGED",
            payload={
                "change": "created" if created else "changed",
                "tax": _tax_record(tax),
                "fields": fields,
                "by": by,
            },
        )
    return tax


@transaction.atomic
def tax_delete(*, tax: Tax, by: str) -> None:
    """Delete a tax (only one no product uses: Product.tax protects it) and record it."""
    record = _tax_record(tax)
    tax.delete()
    server_chain_append(
        type="TAX_CHANGED", payload={"change": "deleted", "tax": record, "fields": [], "by": by}
    )
