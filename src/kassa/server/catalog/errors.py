"""The catalog's error codes."""

from __future__ import annotations

from enum import StrEnum

from kassa.server.common.errors import DomainError


class CatalogErrorCode(StrEnum):
    BARCODE_INVALID = "barcode_invalid"
    BARCODE_PATTERN_INVALID = "barcode_pattern_invalid"
    INDEX_FORMAT_UNSUPPORTED = "index_format_unsupported"
    INDEX_NOT_READY = "index_not_ready"


class CatalogError(DomainError):
    code: CatalogErrorCode

    def __init__(self, code: CatalogErrorCode, message: str):
        super().__init__(code, message)
