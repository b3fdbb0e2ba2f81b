"""The back office: terminals, pairing codes and device tokens."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kassa.server.terminals.models import DeviceToken

from ..conftest import Shop


def test_pairing_code_action_and_token_revocation(
    admin_client: Client, client: Client, shop: Shop
) -> None:
    response = admin_client.post(
        "/admin/terminals/terminal/",
        {"action": "new_pairing_code", "_selected_action": [shop.terminal.pk]},
        follow=True,
    )
    message = next(str(m) for m in response.context["messages"])
    code = re.search(r"Pairing code for Till 1: (\w{4}-\w{4})", message).group(1)
    paired = client.post(
        "/api/v1/pair", json.dumps({"code": code}), content_type="application/json"
    )
    assert paired.status_code == 200
    token = paired.json()["token"]
    admin_client.post(
        "/admin/terminals/devicetoken/",
        {"action": "revoke", "_selected_action": [DeviceToken.objects.get().pk]},
    )
    assert (
        client.get("/api/v1/terminal", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_terminal_refuses_a_currency_it_cannot_store(shop: Shop) -> None:
    # money is stored with 2 decimals: a 3-decimal currency would be rounded
    terminal = shop.terminal
    for code, message in [("KWD", "KWD has 3 decimals"), ("E1R", "not an ISO 4217")]:
        terminal.currency = code
        with pytest.raises(ValidationError, match=message):
            terminal.full_clean()
    for code in ["JPY", "EUR", "chf"]:
        terminal.currency = code
        terminal.full_clean()
