from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from .models import DeviceToken
from .schemas import PairIn, PairOut, PaymentMethodOut, TerminalOut
from .services import terminal_pair

router = Router(tags=["terminal"])


def terminal_config(token: DeviceToken) -> TerminalOut:
    terminal = token.terminal
    return TerminalOut(
        id=terminal.pk,
        name=terminal.name,
        code=terminal.code,
        store_name=terminal.store_name,
        store_address=terminal.store_address,
        store_tax_id=terminal.store_tax_id,
        receipt_header=terminal.receipt_header,
        receipt_footer=terminal.receipt_footer,
        proxy_url=terminal.proxy_url,
        currency=terminal.currency,
        currency_places=terminal.currency_places,
        drawer_policy=terminal.drawer_policy,
        discount_limit=f"{terminal.discount_limit.normalize():f}",
        receipt_prefix=token.receipt_prefix,
        barcode_patterns=terminal.barcode_patterns,
        payment_methods=[
            PaymentMethodOut(id=m.pk, name=m.name, is_cash=m.is_cash)
            for m in terminal.payment_methods.filter(active=True).order_by("sort_order", "name")
        ],
    )


@router.post("pair", auth=None, response=PairOut, summary="Exchange a pairing code for a token")
def pair(request: HttpRequest, body: PairIn) -> PairOut:
    token, secret = terminal_pair(code=body.code, label=body.label)
    return PairOut(token=secret, terminal=terminal_config(token))


@router.get("terminal", response=TerminalOut, summary="This terminal's configuration")
def terminal(request: HttpRequest) -> TerminalOut:
    token: DeviceToken = request.auth  # type: ignore[attr-defined]
    return terminal_config(token)
