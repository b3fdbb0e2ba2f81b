"""Ten clients post the same batch at the same moment: each order is stored once."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.db.models import ProtectedError

from kassa.server.catalog.models import Product
from kassa.server.catalog.services import products_delete
from kassa.server.journal.models import IntegrityAlert, TerminalEntry
from kassa.server.orders import services
from kassa.server.orders.models import Order, OrderLine, Payment, SaleReview

from ..conftest import OrderBuilder, Shop, pair
from .conftest import Journal

CLIENTS = 10


def _post_at_once(url: str, token: str, batch: bytes, *, whole: bool = False) -> list[Any]:
    """POST the batch from CLIENTS threads released at the same moment; their results
    (or their whole answers)."""
    barrier = threading.Barrier(CLIENTS)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def post() -> None:
        request = urllib.request.Request(
            f"{url}/api/v1/orders/sync",
            data=batch,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            barrier.wait(timeout=10)
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read())
                answers.append(answer if whole else answer["results"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == []
    assert len(answers) == CLIENTS
    return answers


def _accepted_once(answers: list[list[dict]], size: int) -> dict[str, dict]:
    """Each order of the batch accepted by exactly one client; its accepted result."""
    per_order: Counter[str] = Counter()
    accepted: dict[str, dict] = {}
    for results in answers:
        assert len(results) == size
        for result in results:
            assert result["status"] in {"accepted", "duplicate"}, result
            if result["status"] == "accepted":
                per_order[result["uuid"]] += 1
                accepted[result["uuid"]] = result
    assert len(per_order) == size
    assert set(per_order.values()) == {1}
    return accepted


@pytest.mark.django_db(transaction=True)
def test_same_batch_from_ten_clients_at_once(
    live_server, shop: Shop, client, orders: OrderBuilder
) -> None:
    # given a paired terminal, an open session and a batch of 50 orders
    device = pair(client, shop.terminal)
    builder = orders
    batch = json.dumps(
        {
            "orders": [
                builder.order(
                    [builder.line(shop.cola, "2"), builder.line(shop.bread, "1")], cash="10.00"
                )
                for _ in range(50)
            ]
        }
    ).encode()

    # when ten clients post it at the same moment
    answers = _post_at_once(live_server.url, device.token, batch)

    # then every client got an answer, each order was accepted by exactly one of them,
    # and the database holds each order, line and payment exactly once
    _accepted_once(answers, 50)
    assert Order.objects.count() == 50
    assert OrderLine.objects.count() == 100
    assert Payment.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_orders_under_review_from_ten_clients_at_once(
    live_server, shop: Shop, client, orders: OrderBuilder
) -> None:
    # given a batch of 40 orders: 30 right, 5 mispriced, 5 reusing an earlier receipt
    # number of the batch
    device = pair(client, shop.terminal)
    good = [orders.order(cash="10.00") for _ in range(30)]
    mispriced = [orders.order(cash="10.00") for _ in range(5)]
    for order in mispriced:
        order["totals"] = {**order["totals"], "gross": "7.77"}
    reused = [orders.order(receipt_number=good[n]["receipt_number"]) for n in range(5)]
    everything = [*reused[:2], *good[:15], *mispriced, *good[15:], *reused[2:]]
    batch = json.dumps({"orders": everything}).encode()

    # when ten clients post it at the same moment
    answers = _post_at_once(live_server.url, device.token, batch)

    # then each order was accepted once, and stored once, the same way whoever stored it:
    # of two orders with one receipt number, the first in the batch holds it
    accepted = _accepted_once(answers, 40)
    codes = {u: r.get("review", {}).get("code") for u, r in accepted.items()}
    taken = [*good[:2], *reused[2:]]
    assert codes == {
        **{o["uuid"]: None for o in [*good, *reused]},
        **{o["uuid"]: "total_mismatch" for o in mispriced},
        **{o["uuid"]: "receipt_number_taken" for o in taken},
    }
    assert {str(u): c or None for u, c in Order.objects.values_list("uuid", "review_code")} == (
        codes
    )
    assert OrderLine.objects.count() == 40
    assert Payment.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_orders_and_their_journal_from_ten_clients_at_once(
    live_server, shop: Shop, client, orders: OrderBuilder
) -> None:
    # given a till with a registered key, 50 sales and the journal it wrote for them
    device = pair(client, shop.terminal)
    journal = Journal()
    journal.register(device)
    # (the last SALE printed other change than its order has)
    sold = [orders.order(cash="10.00") for _ in range(50)]
    entries = [journal.init(), *(journal.sale(order) for order in sold[:-1])]
    entries.append(journal.sale(sold[-1], change="0.00"))
    batch = json.dumps({"orders": sold, "journal": entries}).encode()

    # when ten clients post the batch at the same moment
    answers, journals = [], []
    for body in _post_at_once(live_server.url, device.token, batch, whole=True):
        answers.append(body["results"])
        journals.append(body["journal"])

    # then each order was stored once, each entry is in the chain once, in order, every
    # client heard the same head, and the odd SALE is one review
    _accepted_once(answers, 50)
    assert Order.objects.count() == 50
    assert OrderLine.objects.count() == 50
    assert list(TerminalEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 52)
    )
    head = {"status": "ok", "head": {"seq": 51, "hash": journal.prev_hash}, "missing": None}
    assert journals == [head] * CLIENTS
    assert list(SaleReview.objects.values_list("seq", "code")) == [(51, "sale_mismatch")]
    assert not IntegrityAlert.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_product_deleted_while_its_first_sale_syncs(
    shop: Shop, orders: OrderBuilder, monkeypatch
) -> None:
    # given the first sale of a product, its sync paused after it found the product exists
    # (order lines have no database constraint to their product: the lock must hold)
    order = orders.order([orders.line(shop.cola, "1")])
    checked, release = threading.Event(), threading.Event()
    check_order = services._check_order

    def paused_check(order_in, ctx) -> list[services.Problem]:
        problems = check_order(order_in, ctx)
        checked.set()
        release.wait(timeout=20)
        return problems

    monkeypatch.setattr(services, "_check_order", paused_check)
    results: list[services.SyncResult] = []
    outcome: list[str] = []

    def sync() -> None:
        try:
            results.extend(services.order_sync(terminal=shop.terminal, items=[order]))
        finally:
            connection.close()

    def delete() -> None:
        try:
            products_delete(product_ids=[shop.cola.pk])
            outcome.append("deleted")
        except ProtectedError:
            outcome.append("protected")
        finally:
            connection.close()

    syncing = threading.Thread(target=sync)
    syncing.start()
    assert checked.wait(timeout=20)

    # when the back office deletes the product meanwhile
    deleting = threading.Thread(target=delete)
    deleting.start()
    deleting.join(timeout=2)
    waited = deleting.is_alive()
    release.set()
    syncing.join(timeout=30)
    deleting.join(timeout=30)

    # then the deletion waited for the sync, the sale is stored with its product, and
    # the product, now sold, is kept
    assert waited
    assert [(r.status, r.review) for r in results] == [("accepted", None)]
    assert outcome == ["protected"]
    assert Product.objects.filter(pk=shop.cola.pk).exists()
    assert OrderLine.objects.get().product_id == shop.cola.pk
