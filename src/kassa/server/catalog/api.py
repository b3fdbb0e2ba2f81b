"""The catalog a terminal downloads: taxes and categories whole, products by pages."""

from __future__ import annotations

import gzip

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from . import tillindex
from .errors import CatalogError, CatalogErrorCode
from .schemas import CatalogOut, IndexQuery, ProductPageOut, ProductQuery
from .selectors import catalog_meta, catalog_product_page_bytes, catalog_till_index

router = Router(tags=["catalog"])

ERROR_STATUS: dict[CatalogErrorCode, int] = {
    # The API answers neither: barcodes are checked in the back office and the import.
    CatalogErrorCode.BARCODE_INVALID: 422,
    CatalogErrorCode.BARCODE_PATTERN_INVALID: 422,
    # A till of another version: it builds its index from the product pages instead.
    CatalogErrorCode.INDEX_FORMAT_UNSUPPORTED: 404,
    # A large catalog's index being built (in the background): the same.
    CatalogErrorCode.INDEX_NOT_READY: 404,
}


@router.get("catalog", response=CatalogOut, summary="Taxes, categories and the change token")
def catalog(request: HttpRequest) -> dict[str, object]:
    return catalog_meta()


@router.get(
    "catalog/products",
    response=ProductPageOut,
    summary="Products, full or changed since a token, a page at a time",
)
def products(request: HttpRequest, query: Query[ProductQuery]) -> HttpResponse:
    gzipped = _accepts_gzip(request)
    body = catalog_product_page_bytes(
        since=query.since, after=query.after, limit=query.limit, gzipped=gzipped
    )
    return _encoded(body, "application/json", gzipped=gzipped)


def _accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def _encoded(body: bytes, content_type: str, *, gzipped: bool) -> HttpResponse:
    """`body` as it is, gzip'd or not, with the headers that say so."""
    response = HttpResponse(body, content_type=content_type)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


@router.get(
    "catalog/index",
    response={200: None},
    summary="The till's search index, built by the server (binary)",
    description="The index the till would build from every product page, in the binary"
    " form of kassa/terminal/sync/catalog_snapshot.js, at the catalog version in its header"
    " (also in `X-Catalog-Version`): fetch the changes since that version as product pages."
    " `format` is the till's index format; another one answers 404"
    " `index_format_unsupported`, and a large catalog's index being built 404"
    " `index_not_ready` (build from the pages instead).",
)
def index(request: HttpRequest, query: Query[IndexQuery]) -> HttpResponse:
    if query.format != tillindex.INDEX_FORMAT:
        raise CatalogError(
            CatalogErrorCode.INDEX_FORMAT_UNSUPPORTED,
            f"This server builds the till's index in format {tillindex.INDEX_FORMAT},"
            f" not {query.format}: build it from catalog/products.",
        )
    snapshot = catalog_till_index()
    if snapshot is None:
        raise CatalogError(
            CatalogErrorCode.INDEX_NOT_READY,
            "The till's index of this catalog is being built: build it from catalog/products.",
        )
    gzipped = _accepts_gzip(request)
    body = snapshot.gzipped if gzipped else gzip.decompress(snapshot.gzipped)
    response = _encoded(body, "application/octet-stream", gzipped=gzipped)
    response["Cache-Control"] = "no-store"
    # For the till's progress bar: the bytes it will read (after gzip) and the products.
    response["X-Index-Size"] = str(snapshot.size)
    response["X-Index-Count"] = str(snapshot.count)
    response["X-Catalog-Version"] = str(snapshot.version)
    return response
