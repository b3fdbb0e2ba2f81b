"""The journal's wire format for the terminal API (docs/api.md, "Journal")."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class KeyIn(Schema):
    public_key: str = Field(
        max_length=1024, description="The till's ECDSA P-256 public key: SPKI DER, base64"
    )


class HeadOut(Schema):
    seq: int = Field(description="The last entry the server accepted; 0 for none")
    hash: str = Field(description="Its hash; 64 zeros (the genesis hash) for none")
    gt_after: str | None = Field(
        description="The chain's grand total as of the head (the last SALE's gt_after, a "
        'decimal string; "0" before the first SALE; null after a declared loss with no SALE '
        "since)"
    )
    gt_abs_after: str | None = Field(
        description="Likewise the grand total of absolute values (the last SALE's gt_abs_after)"
    )


class KeyOut(Schema):
    key: str = Field(description="The key id: the first 16 hex digits of SHA-256 of the SPKI")
    head: HeadOut
