"""Stores: the migration that made them from the terminals' own fields, and the
terminal configuration that reads them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from ..conftest import Device, Shop

BEFORE = [("terminals", "0004_store")]
AFTER = [("terminals", "0006_terminal_store_required")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_one_store_per_distinct_set_of_values() -> None:
    # given three terminals as they were, two of them with the same store fields
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Terminal = old.get_model("terminals", "Terminal")
    same = {
        "store_name": "Main St",
        "store_address": "1 Main St",
        "store_tax_id": "NL1",
        "receipt_header": "Hi",
        "receipt_footer": "Bye",
    }
    Terminal.objects.create(name="A", code="A", **same)
    Terminal.objects.create(name="B", code="B", **same)
    Terminal.objects.create(name="C", code="C", **{**same, "receipt_footer": "Ciao"})
    # when the migrations run
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    # then A and B share a store, C has its own, each with the values it had
    terminals = {
        t.code: t for t in new.get_model("terminals", "Terminal").objects.select_related("store")
    }
    assert terminals["A"].store_id == terminals["B"].store_id != terminals["C"].store_id
    store = terminals["A"].store
    assert (store.name, store.address, store.tax_id, store.receipt_header) == (
        "Main St",
        "1 Main St",
        "NL1",
        "Hi",
    )
    assert (store.receipt_footer, terminals["C"].store.receipt_footer) == ("Bye", "Ciao")
    assert new.get_model("terminals", "Store").objects.count() == 2
    # and back: each terminal holds its store's values again
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    back = {t.code: t for t in old.get_model("terminals", "Terminal").objects.all()}
    assert back["C"].receipt_footer == "Ciao" and back["B"].store_tax_id == "NL1"
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_terminal_reads_its_store(device: Device, shop: Shop, client: Client) -> None:
    # given a store with its own texts and clock
    store = shop.store
    store.address = "Marktstraat 1"
    store.tax_id = "NL000099998B57"
    store.receipt_header = "Open 8-20"
    store.time_zone = "Europe/Amsterdam"
    store.save()
    shop.terminal.language = "de"
    shop.terminal.save()
    # when the till asks for its configuration
    config = device.get("terminal").json()
    # then the flat fields are the store's, with its id, clock and the till's language
    assert {
        key: config[key]
        for key in (
            "store_id",
            "store_name",
            "store_address",
            "store_tax_id",
            "receipt_header",
            "receipt_footer",
            "time_zone",
            "day_start",
            "language",
        )
    } == {
        "store_id": store.pk,
        "store_name": "Test shop",
        "store_address": "Marktstraat 1",
        "store_tax_id": "NL000099998B57",
        "receipt_header": "Open 8-20",
        "receipt_footer": "Thank you!",
        "time_zone": "Europe/Amsterdam",
        "day_start": "04:00",
        "language": "de",
    }


def test_a_store_refuses_an_unknown_time_zone(admin_client: Client, shop: Shop) -> None:
    form = {
        "name": "X",
        "receipt_footer": "",
        "time_zone": "Mars/Olympus",
        "day_start": "04:00",
        "opens_at": "08:00",
        "closes_at": "20:00",
        "cash_variance_threshold": "5",
    }
    answer = admin_client.post("/admin/terminals/store/add/", form)
    assert answer.status_code == 200
    assert "is not an IANA time zone" in answer.content.decode()
    assert not shop.store.__class__.objects.filter(name="X").exists()
