"""The cashiers a terminal may log in, with their offline PIN verifiers."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from .errors import StaffErrorCode
from .schemas import CashierOut, PermissionOut, PinVerifierOut
from .selectors import cashier_list_active, cashier_verifier

router = Router(tags=["staff"])

# The API answers none of these: cashiers are created and changed in the back office.
ERROR_STATUS: dict[StaffErrorCode, int] = {
    StaffErrorCode.PIN_INVALID: 422,
    StaffErrorCode.ROLE_INVALID: 422,
    StaffErrorCode.PERMISSION_INVALID: 422,
}


@router.get(
    "cashiers",
    response=list[CashierOut],
    summary="Active cashiers, their role's permissions, offline PIN verifiers (never the PIN)",
)
def cashiers(request: HttpRequest) -> list[CashierOut]:
    return [
        CashierOut(
            id=c.pk,
            name=c.name,
            role=c.role.code,
            role_name=c.role.name,
            role_revision=c.role.revision,
            permissions={
                action: PermissionOut.model_validate(rule)
                for action, rule in c.role.rules().items()
            },
            pin_verifier=PinVerifierOut.model_validate(cashier_verifier(c)),
        )
        for c in cashier_list_active()
    ]
