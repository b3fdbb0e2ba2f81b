from __future__ import annotations

import gzip
from collections.abc import Callable

import orjson
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from .selectors import catalog_meta, catalog_products
from .services import catalog_cache_key

router = Router(tags=["catalog"])
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
    since: int | None = Field(default=None, ge=0, description="Change token from a previous sync")
    after: int = Field(default=0, ge=0, description="Last product id of the previous page")
    limit: int = Field(default=10_000, ge=1, le=MAX_PAGE)


@router.get("catalog", response=CatalogOut, summary="Taxes, categories and the change token")
def catalog(request: HttpRequest) -> dict[str, object]:
    return catalog_meta()


@router.get(
    "catalog/products",
    response=ProductPageOut,
    summary="Products, full or changed since a token, a page at a time",
)
def products(request: HttpRequest, query: Query[ProductQuery]) -> HttpResponse:
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    body = product_page_bytes(
        since=query.since, after=query.after, limit=query.limit, gzipped=gzipped
    )
    response = HttpResponse(body, content_type="application/json")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


def product_page_bytes(*, since: int | None, after: int, limit: int, gzipped: bool) -> bytes:
    """A page as JSON bytes, cached per catalog version: when a shop's tills start in the
    morning, the first download builds the pages and the others are served from cache.
    A catalog write moves the version on, so a cached page is never served stale. The
    gzipped page is made from the cached JSON, so the page is built once for both."""
    key = f"kassa:products:{catalog_cache_key()}:{since}:{after}:{limit}"

    def page_json() -> bytes:
        return _cached(key, lambda: _page_json(since=since, after=after, limit=limit))

    if not gzipped:
        return page_json()
    # Level 1: a seventh of the size for ~60 ms per 100,000 products.
    return _cached(f"{key}:gzip", lambda: gzip.compress(page_json(), compresslevel=1))


def _page_json(*, since: int | None, after: int, limit: int) -> bytes:
    # Built by hand: pydantic would take most of the time on 100,000 products.
    return orjson.dumps(catalog_products(since=since, after=after, limit=limit))


def _cached(key: str, build: Callable[[], bytes]) -> bytes:
    body: bytes | None = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, timeout=24 * 3600)
    return body
