"""Catalog: taxes, the category tree, products and their barcodes.

Every write to the catalog takes the next catalog version under a row lock (see
`services.catalog_version_next`), so that terminals can download only what changed since
the version they have, without missing a change committed out of order.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class CatalogVersion(models.Model):
    """A single row: the catalog's change counter."""

    value = models.BigIntegerField(default=0)
    # Identifies this database's counter: a cache shared by a wiped and re-created
    # database must not mistake the new version 1 for the old one.
    epoch = models.UUIDField(default=uuid.uuid4, editable=False)

    def __str__(self) -> str:
        return f"catalog version {self.value}"


class Tax(models.Model):
    name = models.CharField(max_length=64, unique=True)
    rate = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent, e.g. 21 or 7.7",
    )
    price_includes_tax = models.BooleanField(
        default=True, help_text="Product prices with this tax are gross (tax included)."
    )

    class Meta:
        verbose_name_plural = "taxes"
        ordering = ["rate", "name"]

    def __str__(self) -> str:
        kind = "incl." if self.price_includes_tax else "excl."
        return f"{self.name} ({self.rate.normalize():f}% {kind})"


class Category(models.Model):
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="category_unique_root_name",
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names = [self.name]
        node = self.parent
        seen = {self.pk}
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Unit(models.TextChoices):
    PIECE = "pc", "piece"
    KILOGRAM = "kg", "kilogram"
    LITRE = "l", "litre"
    METRE = "m", "metre"


class Product(models.Model):
    name = models.CharField(max_length=200)
    ref = models.CharField(
        "internal reference", max_length=64, unique=True, null=True, blank=True, default=None
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Unit price; gross or net as the product's tax says.",
    )
    tax = models.ForeignKey(Tax, on_delete=models.PROTECT, related_name="products")
    unit = models.CharField(max_length=2, choices=Unit.choices, default=Unit.PIECE)
    weighed = models.BooleanField("sold by weight", default=False)
    active = models.BooleanField(default=True)
    version = models.BigIntegerField(default=0, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Barcode(models.Model):
    code = models.CharField(max_length=32, unique=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="barcodes")

    def __str__(self) -> str:
        return self.code


class Tombstone(models.Model):
    """A product removed from the catalog for good, so incremental downloads drop it."""

    product_id = models.BigIntegerField()
    version = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"product {self.product_id} removed at version {self.version}"
