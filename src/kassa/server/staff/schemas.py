"""Wire format of the cashiers a terminal downloads."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class PinVerifierOut(Schema):
    algorithm: str
    iterations: int
    salt: str
    hash: str


class PermissionOut(Schema):
    mode: str = Field(description="allow, approve or deny (docs/permissions.md)")
    limit: str | None = Field(
        description="With allow: alone up to this percent or amount, above it with approval"
    )


class CashierOut(Schema):
    id: int
    name: str
    role: str = Field(description="The role's code: cashier, supervisor, manager, or a shop's own")
    role_name: str
    role_revision: int = Field(description="The revision of the role's permissions sent here")
    permissions: dict[str, PermissionOut] = Field(
        description="Per action code; an action not listed is denied"
    )
    pin_verifier: PinVerifierOut
