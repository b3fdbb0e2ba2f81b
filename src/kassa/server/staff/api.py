"""The cashiers a terminal may log in, with their offline PIN verifiers."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from .errors import StaffErrorCode
from .schemas import CashierOut, PinVerifierOut
from .selectors import cashier_list_active, cashier_verifier

router = Router(tags=["staff"])

# The API answers none of these: cashiers are created and changed in the back office.
ERROR_STATUS: dict[StaffErrorCode, int] = {
    StaffErrorCode.PIN_INVALID: 422,
    StaffErrorCode.ROLE_INVALID: 422,
}


@router.get(
    "cashiers",
    response=list[CashierOut],
    summary="Active cashiers with their offline PIN verifiers (never the PIN)",
)
def cashiers(request: HttpRequest) -> list[CashierOut]:
    return [
        CashierOut(
            id=c.pk,
            name=c.name,
            role=c.role,
            pin_verifier=PinVerifierOut.model_validate(cashier_verifier(c)),
        )
        for c in cashier_list_active()
    ]
