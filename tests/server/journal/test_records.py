"""Back-office changes that matter to a till go on the server's journal chain: tax rates
(catalog), a till's settings and a store's receipt texts and clock (terminals)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from kassa.server.catalog.models import Tax
from kassa.server.journal.models import ServerEntry
from kassa.server.journal.selectors import server_chain_verify
from kassa.server.terminals.models import Store

from ..conftest import Shop


def recorded(type_: str) -> list[dict[str, Any]]:
    return [
        json.loads(bytes(canonical))["payload"]
        for canonical in ServerEntry.objects.filter(type=type_)
        .order_by("seq")
        .values_list("canonical", flat=True)
    ]


def test_tax_rate_changes_are_recorded(admin_client: Client, admin_user: User) -> None:
    # when a manager adds a tax, changes its rate, saves it unchanged, then deletes it
    admin_client.post(
        "/admin/catalog/tax/add/", {"name": "VAT 21%", "rate": "21", "price_includes_tax": "on"}
    )
    tax = Tax.objects.get()
    url = f"/admin/catalog/tax/{tax.pk}/change/"
    admin_client.post(url, {"name": "VAT 21%", "rate": "19.5", "price_includes_tax": "on"})
    admin_client.post(url, {"name": "VAT 21%", "rate": "19.5", "price_includes_tax": "on"})
    admin_client.post(f"/admin/catalog/tax/{tax.pk}/delete/", {"post": "yes"})
    # then the server chain holds the three changes, who made them, and the rates
    assert not Tax.objects.exists()
    changes = recorded("TAX_CHANGED")
    assert [(c["change"], c["tax"]["rate"], c["fields"]) for c in changes] == [
        ("created", "21", ["name", "rate", "price_includes_tax"]),
        ("changed", "19.5", ["rate"]),
        ("deleted", "19.5", []),
    ]
    assert {c["by"] for c in changes} == {admin_user.get_username()}
    assert changes[0]["tax"] == {
        "id": tax.pk,
        "name": "VAT 21%",
        "rate": "21",
        "price_includes_tax": True,
    }
    assert server_chain_verify() is None


def test_a_tax_the_form_refuses_records_nothing(admin_client: Client) -> None:
    answer = admin_client.post("/admin/catalog/tax/add/", {"name": "Bad", "rate": "101"})
    assert answer.status_code == 200  # the form again, with its error
    assert not Tax.objects.exists()
    assert recorded("TAX_CHANGED") == []


def test_terminal_settings_are_recorded(admin_client: Client, shop: Shop) -> None:
    # when a manager moves the till to another store, and changes its payment methods
    # and discount limit
    terminal = shop.terminal
    other = Store.objects.create(name="Second shop")
    form = {
        "name": terminal.name,
        "code": terminal.code,
        "store": other.pk,
        "active": "on",
        "language": "en",
        "currency": "EUR",
        "payment_methods": [shop.cash.pk],
        "proxy_url": terminal.proxy_url,
        "drawer_policy": "cash",
        "discount_limit": "15",
        "barcode_patterns": json.dumps(terminal.barcode_patterns),
        "cash_move_slip": "on",
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
        "tokens-MIN_NUM_FORMS": "0",
        "tokens-MAX_NUM_FORMS": "1000",
    }
    answer = admin_client.post(f"/admin/terminals/terminal/{terminal.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    # then the server chain says what changed, from what to what, for which till
    terminal.refresh_from_db()
    assert terminal.discount_limit == Decimal(15)
    (change,) = recorded("TERMINAL_SETTINGS")
    assert change["terminal"] == "POS1"
    assert change["change"] == "changed"
    assert change["fields"] == {
        "discount_limit": {"from": "10", "to": "15"},
        "payment_methods": {"from": ["Card", "Cash"], "to": ["Cash"]},
        "store": {"from": "Test shop", "to": "Second shop"},
    }
    assert ServerEntry.objects.get(type="TERMINAL_SETTINGS").subject == "POS1"
    assert server_chain_verify() is None


def test_store_receipt_texts_and_clock_are_recorded(admin_client: Client, shop: Shop) -> None:
    # when a manager changes the store's receipt footer and its business day start
    store = shop.store
    form = {
        "name": store.name,
        "address": "",
        "tax_id": "",
        "receipt_header": "",
        "receipt_footer": "See you soon",
        "time_zone": store.time_zone,
        "day_start": "05:30",
        "opens_at": "08:00",
        "closes_at": "20:00",
        "cash_variance_threshold": "5.00",
    }
    answer = admin_client.post(f"/admin/terminals/store/{store.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    # then the server chain says what changed in which store, and which tills print it
    (change,) = recorded("STORE_SETTINGS")
    assert change["store"] == store.pk
    assert change["name"] == "Test shop"
    assert change["terminals"] == ["POS1", "POS2"]
    assert change["change"] == "changed"
    assert change["fields"] == {
        "day_start": {"from": "04:00:00", "to": "05:30:00"},
        "receipt_footer": {"from": "Thank you!", "to": "See you soon"},
    }
    # and a save that changes nothing records nothing
    admin_client.post(f"/admin/terminals/store/{store.pk}/change/", {**form, "day_start": "05:30"})
    assert len(recorded("STORE_SETTINGS")) == 1
    assert server_chain_verify() is None
