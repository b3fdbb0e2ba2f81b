from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from .models import Cashier
from .services import cashier_verifier

router = Router(tags=["staff"])


class PinVerifierOut(Schema):
    algorithm: str
    iterations: int
    salt: str
    hash: str


class CashierOut(Schema):
    id: int
    name: str
    role: str
    pin_verifier: PinVerifierOut


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
            pin_verifier=PinVerifierOut(**cashier_verifier(c)),  # type: ignore[arg-type]
        )
        for c in Cashier.objects.filter(active=True).order_by("name")
    ]
