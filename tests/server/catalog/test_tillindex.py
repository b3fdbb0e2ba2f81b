"""The till's search index built on the server (catalog/tillindex.py) is the one the
terminal builds (domain/search.js), byte for byte; its normalisation is the shared rule of
tests/shared/search_cases.json (also run by tests/terminal/search_cases.test.mjs)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kassa.server.catalog import selectors
from kassa.server.catalog.models import Product
from kassa.server.catalog.services import products_delete, products_set_active, products_touch
from kassa.server.catalog.tillindex import (
    build_index,
    encode_index,
    normal_name,
    normalize_barcode,
    normalize_ref,
)

from ..conftest import Device, Shop, pair

ROOT = Path(__file__).resolve().parents[3]
CASES = json.loads((ROOT / "tests" / "shared" / "search_cases.json").read_text("utf-8"))
TERMINAL = ROOT / "src" / "kassa" / "terminal"


@pytest.mark.parametrize(("name", "normal"), CASES["names"])
def test_a_name_is_normalised_as_on_the_till(name: str, normal: str) -> None:
    assert normal_name(name) == normal


@pytest.mark.parametrize(("ref", "key"), CASES["refs"])
def test_a_reference_is_normalised_as_on_the_till(ref: str, key: str) -> None:
    assert (normalize_ref(ref) if ref else "") == key


@pytest.mark.parametrize(("code", "key"), CASES["barcodes"])
def test_a_barcode_is_normalised_as_on_the_till(code: str, key: str) -> None:
    assert normalize_barcode(code) == key


# The till's builder takes the catalog a page at a time (here pages of 4, so that its
# sorted runs are merged as in a real download) and writes the binary form.
_NODE_SCRIPT = """
import { readFileSync } from "node:fs";
import { createIndexBuilder, storableSearchIndex } from SEARCH;
import { encodeIndex } from SNAPSHOT;
const { catalog, version } = JSON.parse(readFileSync(0, "utf8"));
const builder = createIndexBuilder();
for (let i = 0; i < catalog.length; i += 4) builder.add(catalog.slice(i, i + 4));
const bytes = encodeIndex(storableSearchIndex(builder.finish()), version);
process.stdout.write(Buffer.from(bytes).toString("base64"));
"""


def _built_by_the_till(catalog: list[dict[str, Any]], version: int) -> bytes:
    script = _NODE_SCRIPT.replace(
        "SEARCH", json.dumps((TERMINAL / "domain" / "search.js").as_uri())
    ).replace("SNAPSHOT", json.dumps((TERMINAL / "sync" / "catalog_snapshot.js").as_uri()))
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps({"catalog": catalog, "version": version}),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=True,
    )
    return base64.b64decode(done.stdout)


def _generated(count: int, *, ascending: bool) -> list[dict[str, Any]]:
    """Many products from the shared names: equal names, shared words, every kind of
    reference and barcode; ids ascending (as the server sends them) or now and then not."""
    rng = random.Random(17)
    words = [name for name, _ in CASES["names"]] + ["Apple", "oat", "APPLE", "Äpple", "10", "2"]
    codes = ["012345678905", "12345678905", "abc"]
    products = []
    for n in range(count):
        product: dict[str, Any] = {
            "id": n * 2 + 1 if ascending or n % 97 else 100_000 - n,
            "name": " ".join(rng.choice(words) for _ in range(rng.randrange(1, 4))),
            "ref": rng.choice([None, "", f"R{n % 50}", f" r{n} ", "Straße"]),
            "barcodes": rng.sample([*codes, f"{n:013d}"], rng.randrange(0, 3)),
            "category_id": rng.choice([None, 1, 2]),
            "price": f"{rng.randrange(0, 10_000) / 100:.2f}",
            "tax_id": rng.choice([1, 2]),
            "unit": rng.choice(["pc", "kg"]),
            "weighed": rng.random() < 0.1,
        }
        products.append(product)
    return products


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the till's own builder")
@pytest.mark.parametrize("which", ["shared", "generated", "ascending"])
def test_the_index_is_the_tills_byte_for_byte(which: str) -> None:
    # given a catalog with accents, ß, astral letters, names equal once normalised, empty,
    # null and missing references, several and repeated barcodes, ids not ascending
    if which == "shared":
        catalog = CASES["catalog"]
    else:
        catalog = _generated(3000, ascending=which == "ascending")
    # when the server and the till each build its index
    ours = encode_index(build_index(catalog), 42)
    theirs = _built_by_the_till(catalog, 42)
    # then the bytes are the same
    assert len(ours) == len(theirs)
    assert ours == theirs


def test_the_binary_form_carries_its_format_version_and_sections() -> None:
    index = build_index(CASES["catalog"])
    data = encode_index(index, 9)
    assert data[:4] == b"KIX1"
    length = int.from_bytes(data[4:8], "little")
    head = json.loads(data[8 : 8 + length])
    assert (head["format"], head["version"]) == (2, 9)
    assert head["index"]["count"] == len(CASES["catalog"]) == index["count"]
    assert head["index"]["idsAscending"] is False
    ids = head["index"]["ids"]
    assert ids["$"] == "f64" and ids["at"] % 8 == 0
    assert len(data) % 8 == 0


# --- GET catalog/index: the snapshot a till takes at cold start ----------------------------


def _pages(device: Device) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        page = device.get("catalog/products", after=after, limit=2).json()
        products += page["products"]
        after = page["next_after"]
    return products


def _snapshot(device: Device) -> tuple[Any, bytes]:
    response = device.client.get(
        "/api/v1/catalog/index",
        {"format": 2},
        headers={"Authorization": f"Bearer {device.token}", "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Encoding"] == "gzip"
    return response, gzip.decompress(response.content)


def test_the_snapshot_is_the_index_of_the_product_pages(device: Device, shop: Shop) -> None:
    # given a catalog with one product withdrawn (the pages leave it out)
    products_set_active(product_ids=[shop.repair.pk], active=False)
    token = device.get("catalog").json()["token"]
    # when a till asks for the index
    response, data = _snapshot(device)
    # then it is the index of what the pages send, at the catalog's version
    assert data == encode_index(build_index(_pages(device)), token)
    assert response["X-Catalog-Version"] == str(token)
    assert response["X-Index-Size"] == str(len(data))
    assert response["X-Index-Count"] == "3"


def test_a_snapshot_a_little_old_is_served_with_the_changes_since_it(
    device: Device, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    build = selectors.till_index_build

    def counted() -> selectors.TillIndexSnapshot:
        built = build()
        builds.append(built.version)
        return built

    monkeypatch.setattr(selectors, "till_index_build", counted)
    monkeypatch.setattr(selectors, "TILL_INDEX_STALE", 1)
    _, first = _snapshot(device)
    _snapshot(device)
    assert len(builds) == 1  # built once, then from the cache
    # given one product changed since: the snapshot is served as it is
    old = builds[0]
    Product.objects.filter(pk=shop.cola.pk).update(price=Decimal("1.49"))
    products_touch(product_ids=[shop.cola.pk])
    response, again = _snapshot(device)
    assert again == first
    assert response["X-Catalog-Version"] == str(old)
    # and the till finds the change in the delta since the snapshot's version
    delta = device.get("catalog/products", since=old).json()
    assert [(p["ref"], p["price"]) for p in delta["products"]] == [("COLA", "1.49")]
    # given a second change (more than TILL_INDEX_STALE since it): built again
    products_delete(product_ids=[shop.bread.pk])
    response, fresh = _snapshot(device)
    assert len(builds) == 2
    assert int(response["X-Catalog-Version"]) == device.get("catalog").json()["token"] > old
    assert fresh == encode_index(build_index(_pages(device)), builds[1])


def test_bad_requests_get_json_errors(device: Device, client: Client) -> None:
    anonymous = client.get("/api/v1/catalog/index", {"format": 2})
    assert anonymous.status_code == 401
    assert "code" in anonymous.json()["error"]
    other = device.get("catalog/index", format=3)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "index_format_unsupported"
    for bad in ({}, {"format": "two"}):
        answer = device.get("catalog/index", **bad)
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "invalid_request"


def test_without_gzip_the_form_comes_plain(device: Device) -> None:
    plain = device.get("catalog/index", format=2)
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain
    assert plain.content == _snapshot(device)[1]


@pytest.mark.django_db(transaction=True)
def test_a_large_catalogs_index_is_built_in_the_background(
    shop: Shop, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a catalog larger than is built while a till waits
    monkeypatch.setattr(selectors, "TILL_INDEX_INLINE", 2)
    device = pair(client, shop.terminal)
    # when a till asks for its index
    first = device.get("catalog/index", format=2)
    # then it is told to build it from the pages, while the server builds it
    assert first.status_code == 404
    assert first.json()["error"]["code"] == "index_not_ready"
    assert selectors.till_index_builders
    for thread in selectors.till_index_builders:
        thread.join(timeout=60)
    # and the next till takes it
    _, data = _snapshot(device)
    assert data == encode_index(build_index(_pages(device)), device.get("catalog").json()["token"])


def test_a_forked_builder_lets_go_of_the_servers_port() -> None:
    # given a listening socket (the server's port) and a connected one
    server = socket.create_server(("127.0.0.1", 0))
    other = socket.create_connection(server.getsockname())
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        status = 1
        try:
            # when the builder's child closes what it inherited
            selectors.close_inherited_listeners()
            # then the listener is closed and the other socket is not
            try:
                os.fstat(server.fileno())
            except OSError:
                os.fstat(other.fileno())
                status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    # and the parent's own listener still listens
    socket.create_connection(server.getsockname()).close()
    other.close()
    server.close()
