"""Pairing: a one-time code from the back office becomes a revocable device token."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from kassa.server.terminals.models import DeviceToken, PairingCode
from kassa.server.terminals.services import device_token_revoke, pairing_code_create

from ..conftest import Shop


def _pair(client: Client, code: str) -> tuple[int, dict]:
    response = client.post(
        "/api/v1/pair",
        json.dumps({"code": code, "label": "test browser"}),
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_code_is_exchanged_for_a_token_once(client: Client, shop: Shop) -> None:
    code = pairing_code_create(terminal=shop.terminal)
    status, body = _pair(client, code)
    assert status == 200
    assert body["terminal"]["code"] == "POS1"
    assert body["terminal"]["receipt_prefix"] == "POS1-1-"
    assert [m["name"] for m in body["terminal"]["payment_methods"]] == ["Card", "Cash"]
    token = body["token"]
    assert len(token) >= 40
    # the token is stored only as a hash
    assert not DeviceToken.objects.filter(token_hash=token).exists()
    response = client.get("/api/v1/terminal", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["name"] == "Till 1"
    # the same code a second time is refused
    status, body = _pair(client, code)
    assert status == 403
    assert body["error"]["code"] == "pairing_code_invalid"
    assert DeviceToken.objects.count() == 1


def test_code_is_case_and_dash_insensitive(client: Client, shop: Shop) -> None:
    code = pairing_code_create(terminal=shop.terminal)
    status, _ = _pair(client, code.replace("-", " ").lower())
    assert status == 200


def test_expired_or_unknown_code_is_refused(client: Client, shop: Shop) -> None:
    code = pairing_code_create(terminal=shop.terminal)
    PairingCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _pair(client, code)[0] == 403
    assert _pair(client, "ABCD-EFGH")[0] == 403
    assert DeviceToken.objects.count() == 0


def test_pairing_again_gives_a_new_receipt_prefix(client: Client, shop: Shop) -> None:
    _, first = _pair(client, pairing_code_create(terminal=shop.terminal))
    _, second = _pair(client, pairing_code_create(terminal=shop.terminal))
    assert first["terminal"]["receipt_prefix"] == "POS1-1-"
    assert second["terminal"]["receipt_prefix"] == "POS1-2-"


def test_revoked_token_is_refused(client: Client, shop: Shop) -> None:
    _, body = _pair(client, pairing_code_create(terminal=shop.terminal))
    device_token_revoke(token=DeviceToken.objects.get())
    response = client.get("/api/v1/terminal", headers={"Authorization": f"Bearer {body['token']}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_disabled_terminal_cannot_pair_or_call(client: Client, shop: Shop) -> None:
    _, body = _pair(client, pairing_code_create(terminal=shop.terminal))
    code = pairing_code_create(terminal=shop.terminal)
    shop.terminal.active = False
    shop.terminal.save()
    assert _pair(client, code) == (
        403,
        {"error": {"code": "terminal_inactive", "message": "Terminal Till 1 is disabled."}},
    )
    response = client.get("/api/v1/terminal", headers={"Authorization": f"Bearer {body['token']}"})
    assert response.status_code == 401


def test_every_endpoint_but_pairing_requires_a_token(client: Client, shop: Shop) -> None:
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path.endswith("/pair"):
                assert "security" not in operation
                continue
            assert operation["security"] == [{"DeviceAuth": []}], (method, path)
            url = path.replace("{uuid}", "00000000-0000-4000-8000-000000000000")
            response = getattr(client, method)(url, content_type="application/json")
            assert response.status_code == 401, (method, path)
            assert response.json()["error"]["code"] == "unauthorized"


def test_bad_pairing_body_is_a_json_422(client: Client, shop: Shop) -> None:
    response = client.post(
        "/api/v1/pair", json.dumps({"code": 12}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "code" in response.json()["error"]["message"]


def test_terminal_config_has_barcode_patterns(client: Client, shop: Shop) -> None:
    _, body = _pair(client, pairing_code_create(terminal=shop.terminal))
    assert body["terminal"]["barcode_patterns"] == [
        {"prefix": "21", "kind": "weight", "itemDigits": 5, "valueDigits": 5, "decimals": 3},
        {"prefix": "23", "kind": "price", "itemDigits": 5, "valueDigits": 5, "decimals": 2},
    ]


def test_bad_barcode_patterns_are_refused_in_the_back_office(
    admin_client: Client, shop: Shop
) -> None:
    from kassa.server.terminals.models import Terminal

    form = {
        "name": "Till 1",
        "code": "POS1",
        "active": "on",
        "currency": "EUR",
        "payment_methods": [shop.cash.pk],
        "store": shop.store.pk,
        "language": "en",
        "proxy_url": "http://127.0.0.1:8765",
        "drawer_policy": "cash",
        "discount_limit": "10",
        "recent_order_days": "30",
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
        "tokens-MIN_NUM_FORMS": "0",
        "tokens-MAX_NUM_FORMS": "1000",
    }
    bad = '[{"prefix": "21", "kind": "weight", "itemDigits": 5, "valueDigits": 4, "decimals": 3}]'
    response = admin_client.post(
        f"/admin/terminals/terminal/{shop.terminal.pk}/change/", {**form, "barcode_patterns": bad}
    )
    assert response.status_code == 200
    assert "must make 13" in response.content.decode()
    good = '[{"prefix": "28", "kind": "price", "itemDigits": 4, "valueDigits": 6, "decimals": 2}]'
    response = admin_client.post(
        f"/admin/terminals/terminal/{shop.terminal.pk}/change/", {**form, "barcode_patterns": good}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Terminal.objects.get(pk=shop.terminal.pk).barcode_patterns[0]["prefix"] == "28"
