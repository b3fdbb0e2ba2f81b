"""Wire format of the catalog a terminal downloads."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from kassa.server.common.types import Cursor

MAX_PAGE = 100_000


class TaxOut(Schema):
    id: int
    name: str
    rate: str
    price_includes_tax: bool


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    sort_order: int


class CatalogOut(Schema):
    token: int = Field(description="Change token: pass it as `since` to get what changed")
    taxes: list[TaxOut]
    categories: list[CategoryOut]


class ProductOut(Schema):
    id: int
    name: str
    ref: str | None
    barcodes: list[str]
    category_id: int | None
    price: str
    tax_id: int
    unit: str
    weighed: bool


class ProductPageOut(Schema):
    token: int
    products: list[ProductOut]
    deleted: list[int] = Field(description="Ids to remove (only with `since`)")
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end")
    total: int | None = Field(default=None, description="Active products (first full page only)")


class ProductQuery(Schema):
    since: Cursor | None = Field(default=None, description="Change token from a previous sync")
    after: Cursor = Field(default=0, description="Last product id of the previous page")
    limit: int = Field(default=10_000, ge=1, le=MAX_PAGE)


class IndexQuery(Schema):
    format: int = Field(
        ge=0, le=1_000_000, description="The till's index format (domain/search.js INDEX_FORMAT)"
    )
