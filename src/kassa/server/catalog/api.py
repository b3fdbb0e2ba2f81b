"""The catalog a terminal downloads: taxes and categories whole, products by pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from .errors import CatalogErrorCode
from .schemas import CatalogOut, ProductPageOut, ProductQuery
from .selectors import catalog_meta, catalog_product_page_bytes

router = Router(tags=["catalog"])

# The API answers none of these: barcodes are checked in the back office and the import.
ERROR_STATUS: dict[CatalogErrorCode, int] = {
    CatalogErrorCode.BARCODE_INVALID: 422,
    CatalogErrorCode.BARCODE_PATTERN_INVALID: 422,
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
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    body = catalog_product_page_bytes(
        since=query.since, after=query.after, limit=query.limit, gzipped=gzipped
    )
    response = HttpResponse(body, content_type="application/json")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response
