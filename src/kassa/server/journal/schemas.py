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


class KeyOut(Schema):
    key: str = Field(description="The key id: the first 16 hex digits of SHA-256 of the SPKI")
    head: HeadOut
