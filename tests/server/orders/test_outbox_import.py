"""The escape hatch: a terminal's exported outbox imported in the back office."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kassa.server.cash.models import CashSession
from kassa.server.orders.errors import OrderError
from kassa.server.orders.importer import outbox_import
from kassa.server.orders.models import Order

from ..conftest import OrderBuilder, Shop


def _export(shop: Shop) -> tuple[bytes, list[dict]]:
    session_uuid = uuid.uuid4()
    session = CashSession(
        uuid=session_uuid,
        terminal=shop.terminal,
        opened_by=shop.alice,
        opened_at=timezone.now(),
        opening_float=0,
    )
    builder = OrderBuilder(shop, session)
    orders = [builder.order(cash="10.00"), builder.order()]
    now = timezone.now().isoformat()
    entries = [
        {
            "kind": "session_open",
            "payload": {
                "uuid": str(session_uuid),
                "cashier_id": shop.alice.pk,
                "opened_at": now,
                "opening_float": "50.00",
            },
        },
        *({"kind": "order", "payload": o} for o in orders),
        {
            "kind": "session_close",
            "payload": {
                "uuid": str(session_uuid),
                "cashier_id": shop.alice.pk,
                "closed_at": now,
                "counted_cash": "51.98",
            },
        },
    ]
    document = {
        "format": "kassa-outbox",
        "version": 1,
        "terminal": {"code": "POS1"},
        "exported_at": now,
        "entries": entries,
    }
    return json.dumps(document).encode(), orders


def test_import_is_idempotent(shop: Shop) -> None:
    data, _ = _export(shop)
    report = outbox_import(data)
    assert dict(report.counts) == {"sessions opened": 1, "orders accepted": 2, "sessions closed": 1}
    session = CashSession.objects.get()
    assert (session.state, str(session.expected_cash), str(session.difference)) == (
        "closed",
        "51.98",
        "0.00",
    )
    again = outbox_import(data)
    assert dict(again.counts) == {
        "sessions already open": 1,
        "orders duplicate": 2,
        "sessions closed": 1,
    }
    assert Order.objects.count() == 2
    assert set(Order.objects.values_list("source", flat=True)) == {"import"}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"nope", "malformed_json"),
        (b"{}", "invalid_file"),
        (
            b'{"format": "kassa-outbox", "terminal": {"code": "XX"}, "entries": []}',
            "unknown_terminal",
        ),
    ],
)
def test_bad_files_are_refused(shop: Shop, data: bytes, code: str) -> None:
    with pytest.raises(OrderError) as error:
        outbox_import(data)
    assert error.value.code == code
    assert Order.objects.count() == 0


def test_admin_upload(admin_client, shop: Shop) -> None:
    data, _ = _export(shop)
    response = admin_client.post(
        "/admin/orders/order/import/", {"file": SimpleUploadedFile("export.json", data)}
    )
    assert response.status_code == 200
    assert "2 orders accepted" in response.content.decode()
    assert Order.objects.count() == 2
    bad = admin_client.post(
        "/admin/orders/order/import/", {"file": SimpleUploadedFile("x.json", b"{}")}
    )
    assert "not a Kassa export" in bad.content.decode()


def test_an_imported_order_that_breaks_a_rule_is_stored_under_review(shop: Shop) -> None:
    # given an export whose session was closed on the server before the file came in
    data, orders = _export(shop)
    document = json.loads(data)
    document["entries"] = [e for e in document["entries"] if e["kind"] != "order"]
    outbox_import(json.dumps(document).encode())
    document["entries"] = [{"kind": "order", "payload": o} for o in orders]
    # when its orders are imported
    report = outbox_import(json.dumps(document).encode())
    # then they are stored, under review, and the report says so
    assert dict(report.counts) == {"orders accepted": 2, "orders to review": 2}
    assert report.problems[0].startswith(f"entry 1: order {orders[0]['uuid']} stored, to review:")
    assert set(Order.objects.values_list("review_code", flat=True)) == {"session_closed"}
