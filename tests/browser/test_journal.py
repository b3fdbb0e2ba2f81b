"""The till's journal in real Chromium (docs/journal.md): the real server, the real hardware
proxy (its journal mirror) and the terminal's own IndexedDB, read from the page with the
plain IndexedDB API (the terminal exposes nothing global for tests).

Every entry read back is checked as the server checks it: canonical form
(`kassa.jcs.canonicalize`), hash chain (`chain_hash`), and the ECDSA P-256 signature with
the public key the chain's JOURNAL_INIT carries.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key
from playwright.sync_api import BrowserContext

from kassa.jcs import GENESIS_HASH, canonicalize, chain_hash

from .conftest import Till
from .test_till import Shop, display, pair_devices, printer, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

READ_JOURNAL = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("kassa-terminal");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    const read = (store, query) => new Promise((resolve, reject) => {
      const request = db.transaction(store).objectStore(store)[query.method](...query.args);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const entries = await read("journal", { method: "getAll", args: [] });
    const pairing = await read("meta", { method: "get", args: ["pairing"] });
    return { entries, token: pairing?.token ?? null };
  } finally {
    db.close();
  }
}"""


def journal(till: Till) -> tuple[list[dict[str, Any]], str | None]:
    """The terminal's journal entries (wire form and local fields) and its device token."""
    found = till.page.evaluate(READ_JOURNAL)
    return found["entries"], found["token"]


def parsed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(entry["canonical"]) for entry in entries]


def check_chain(entries: list[dict[str, Any]], public_key_b64: str) -> None:
    """Canonical, chained from the genesis hash, signed by the key: as the server checks."""
    key = load_der_public_key(base64.b64decode(public_key_b64))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    previous = GENESIS_HASH
    for expected_seq, entry in enumerate(entries, start=1):
        value = json.loads(entry["canonical"])
        assert canonicalize(value) == entry["canonical"].encode()
        assert entry["seq"] == value["seq"] == expected_seq
        assert value["prev_hash"] == previous
        assert entry["hash"] == chain_hash(previous, entry["canonical"].encode())
        raw = base64.urlsafe_b64decode(entry["sig"] + "=" * (-len(entry["sig"]) % 4))
        assert len(raw) == 64
        signature = encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        )
        key.verify(signature, entry["canonical"].encode(), ec.ECDSA(hashes.SHA256()))
        previous = entry["hash"]


def wait_until(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)


def server_head(server_url: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{server_url}/api/v1/journal/head", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        head: dict[str, Any] = json.loads(response.read())
        return head


@pytest.fixture
def shop_till(context: BrowserContext, shop: Shop) -> Iterator[Till]:  # noqa: F811
    page = context.new_page()
    till = Till(page, shop.server)
    yield till
    assert till.errors == []


def test_a_sale_writes_one_sale_entry_printed_on_the_receipt_sent_and_mirrored(
    shop_till: Till,
    shop: Shop,  # noqa: F811
) -> None:
    till = shop_till
    # given a till paired with the server and its proxy, a cashier and an open session
    till.start()
    pair_devices(till)
    # when a Baguette is sold for cash
    till.add("Baguette")
    number = till.checkout("Cash")
    # then the journal holds, in order: the chain's start, the login, the session, the sale
    entries, token = journal(till)
    values = parsed(entries)
    assert [v["type"] for v in values] == ["JOURNAL_INIT", "LOGIN", "SESSION_OPEN", "SALE"]
    assert all(v["terminal"] == values[0]["terminal"] for v in values)
    check_chain(entries, values[0]["payload"]["key"])
    sale = values[3]
    assert sale["cashier"]["name"] == "Alice"
    assert sale["payload"]["receipt_no"] == number
    assert sale["payload"]["totals"]["gross"] == "1.49"
    assert sale["payload"]["payments"] == [{"method": "Cash", "amount": "1.49"}]
    assert [line["name"] for line in sale["payload"]["lines"]] == ["Baguette"]
    assert (sale["payload"]["gt_after"], sale["payload"]["gt_abs_after"]) == ("1.49", "1.49")
    # and the receipt shows the entry's seq and the start of its hash
    receipt = till.page.inner_text("[data-test=receipt]")
    assert f"Journal 4 · {entries[3]['hash'][:8]}" in receipt
    # and the proxy's mirror has every entry, verbatim
    code = values[0]["terminal"]

    def mirrored() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = shop.proxy.call(f"journal?terminal={code}&after=0")["entries"]
        return found

    wait_until(lambda: len(mirrored()) == 4)
    assert [(e["seq"], e["canonical"], e["hash"], e["sig"]) for e in mirrored()] == [
        (e["seq"], e["canonical"], e["hash"], e["sig"]) for e in entries
    ]
    # and the server's head reached the sale
    assert token is not None
    wait_until(lambda: server_head(shop.server.url, token)["seq"] == 4)
    assert server_head(shop.server.url, token)["hash"] == entries[3]["hash"]


def test_login_session_and_logout_are_journalled_in_order(till: Till) -> None:
    # given a till where Alice logs in and opens the session
    till.start()
    # when she locks the till and Bob logs in
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Lock")
    till.page.wait_for_selector("[data-test=cashier-tile]")
    till.login("Bob")
    till.wait_for_sale()
    # then the journal has them in that order, each with its cashier
    entries, _ = journal(till)
    values = parsed(entries)
    assert [(v["type"], v["cashier"] and v["cashier"]["name"]) for v in values] == [
        ("JOURNAL_INIT", None),
        ("LOGIN", "Alice"),
        ("SESSION_OPEN", "Alice"),
        ("LOGOUT", "Alice"),
        ("LOGIN", "Bob"),
    ]
    assert values[2]["payload"]["opening_float"] == "100.00"
    check_chain(entries, values[0]["payload"]["key"])


def test_a_clock_set_back_a_day_is_journalled_as_a_clock_jump(till: Till) -> None:
    # given a till in use
    till.start()
    entries, _ = journal(till)
    last_at = json.loads(entries[-1]["canonical"])["at"]
    # when the PC's clock goes back a day (the page reloads with it; the cashier stays)
    till.page.clock.install(time=datetime.now() - timedelta(days=1))
    till.page.reload()
    till.wait_for_sale()
    # and the next entry is written (the till is locked)
    till.page.click("[data-test=menu]")
    till.page.click("[data-test=menu-drawer] >> text=Lock")
    till.page.wait_for_selector("[data-test=cashier-tile]")
    # then a CLOCK_JUMP from the last entry's time to the new one comes before it
    wait_until(lambda: len(journal(till)[0]) == len(entries) + 2, timeout=10)
    after, _ = journal(till)
    values = parsed(after)
    jump, logout = values[-2], values[-1]
    assert (jump["type"], logout["type"]) == ("CLOCK_JUMP", "LOGOUT")
    assert jump["payload"]["from"] == last_at
    assert jump["payload"]["to"] == logout["at"]
    gone = datetime.fromisoformat(last_at) - datetime.fromisoformat(logout["at"])
    assert timedelta(hours=23) < gone < timedelta(hours=25)
    check_chain(after, values[0]["payload"]["key"])
