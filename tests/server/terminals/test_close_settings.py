"""The day close's settings (docs/z-report.md, "Settings") in a till's configuration."""

from __future__ import annotations

from decimal import Decimal

from ..conftest import Device, Shop


def test_close_settings_reach_the_till(device: Device, shop: Shop) -> None:
    # given the defaults: no blind close, slips printed, no variance limit
    config = device.get("terminal").json()
    assert (config["blind_close"], config["cash_move_slip"]) == (False, True)
    assert (config["variance_amount"], config["variance_percent"]) == (None, None)
    assert {m["name"]: m["variance_amount"] for m in config["payment_methods"]} == {
        "Cash": None,
        "Card": None,
    }
    # when the owner sets a blind close, limits of 5.00 or 2 %, and 0.00 for cards
    shop.terminal.blind_close = True
    shop.terminal.variance_amount = Decimal(5)
    shop.terminal.variance_percent = Decimal(2)
    shop.terminal.save()
    shop.card.variance_amount = Decimal(0)
    shop.card.save()
    # then the till reads them as decimal strings at their places
    config = device.get("terminal").json()
    assert config["blind_close"] is True
    assert (config["variance_amount"], config["variance_percent"]) == ("5.00", "2.00")
    card = next(m for m in config["payment_methods"] if m["name"] == "Card")
    assert (card["variance_amount"], card["variance_percent"]) == ("0.00", None)
