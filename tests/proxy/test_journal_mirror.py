"""The journal mirror: entries kept verbatim and durably, checked, never forked or rewritten.

Entries are built with `kassa.jcs` as docs/journal.md says; the signature is any base64url
text, since the proxy has no keys to check it with.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.jcs import GENESIS_HASH, canonicalize, chain_hash
from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import Settings
from tests.proxy.conftest import AppClient
from tests.proxy.test_api import BASE, EVIL, TERMINAL, auth, pair

SIG = "MEUCIQDx-_0k3" + "A" * 73  # 86 base64url characters, like a P-256 r ‖ s


def entry_object(
    seq: int, prev_hash: str, *, terminal: str = "POS1", **payload: Any
) -> dict[str, Any]:
    return {
        "v": 1,
        "terminal": terminal,
        "seq": seq,
        "type": "SALE" if payload else "LOGIN",
        "at": f"2026-11-30T10:15:{seq % 60:02d}.123+01:00",
        "cashier": {"id": 3, "name": "Ana Müller"},
        "key": "9f86d081884c7d65",
        "prev_hash": prev_hash,
        "payload": {"v": 1, **payload},
    }


def wire(value: dict[str, Any], *, sig: str = SIG) -> dict[str, Any]:
    canonical = canonicalize(value)
    return {
        "seq": value["seq"],
        "canonical": canonical.decode("utf-8"),
        "hash": chain_hash(value["prev_hash"], canonical),
        "sig": sig,
    }


def chain(
    count: int,
    *,
    start: int = 1,
    prev_hash: str = GENESIS_HASH,
    terminal: str = "POS1",
    **payload: Any,
) -> list[dict[str, Any]]:
    """`count` wire entries from seq `start`, each continuing the one before."""
    entries = []
    for seq in range(start, start + count):
        # text that tests the bytes: non-ASCII, an emoji, a line separator, an escape
        lines = [{"name": "Brötchen 😀\u2028", "ref": f"L{seq}", "qty": "1.000", "note": "\t"}]
        entry = wire(entry_object(seq, prev_hash, terminal=terminal, lines=lines, **payload))
        entries.append(entry)
        prev_hash = entry["hash"]
    return entries


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    result: Settings = make_settings(allowed_origins=[TERMINAL], pairing_code="ABCD-2345")
    return result


@pytest.fixture
def client(settings: Settings) -> Iterator[AppClient]:
    with AppClient(settings, base_url=BASE) as running:
        yield running


@pytest.fixture
def headers(client: AppClient) -> dict[str, str]:
    return auth(pair(client))


def post(client: AppClient, headers: dict[str, str], entries: list[dict[str, Any]]) -> Any:
    return client.post("/proxy/v1/journal", json={"entries": entries}, headers=headers)


def read(
    client: AppClient, headers: dict[str, str], terminal: str = "POS1", **params: Any
) -> dict[str, Any]:
    response = client.get(
        "/proxy/v1/journal", params={"terminal": terminal, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows(settings: Settings) -> list[tuple[Any, ...]]:
    """The mirror's file as it is on disk, read with a connection of our own."""
    with sqlite3.connect(settings.state_dir / "journal.sqlite3") as db:
        return db.execute(
            "SELECT terminal, seq, hash, canonical, sig, received_at FROM entries"
            " ORDER BY terminal, seq"
        ).fetchall()


def test_entries_are_kept_and_read_back_verbatim(
    client: AppClient, headers: dict[str, str], settings: Settings
) -> None:
    # given three entries of one chain
    entries = chain(3)

    # when the terminal hands them over
    response = post(client, headers, entries)

    # then they are on disk byte for byte, and read back exactly as sent
    assert (response.status_code, response.json()) == (200, {"last_seq": 3})
    assert response.headers["access-control-allow-origin"] == TERMINAL
    stored = rows(settings)
    assert [(row[0], row[1], row[2], row[4]) for row in stored] == [
        ("POS1", entry["seq"], entry["hash"], SIG) for entry in entries
    ]
    assert [row[3] for row in stored] == [entry["canonical"].encode("utf-8") for entry in entries]
    assert all(isinstance(row[3], bytes) for row in stored)
    assert read(client, headers) == {"entries": entries, "last_seq": 3}


def test_reading_pages_through_the_entries_after_a_seq(
    client: AppClient, headers: dict[str, str]
) -> None:
    entries = chain(5)
    post(client, headers, entries)
    post(client, headers, chain(2, terminal="POS2"))

    assert read(client, headers, after=1, limit=2) == {"entries": entries[1:3], "last_seq": 5}
    assert read(client, headers, after=3) == {"entries": entries[3:], "last_seq": 5}
    assert read(client, headers, after=5) == {"entries": [], "last_seq": 5}
    assert read(client, headers, terminal="POS9") == {"entries": [], "last_seq": 0}
    assert read(client, headers, terminal="POS2")["last_seq"] == 2
    for params in (
        {"terminal": "POS1", "limit": 0},
        {"terminal": "POS1", "limit": 1001},
        {"terminal": "POS1", "after": -1},
        {"terminal": ""},
        {},
    ):
        response = client.get("/proxy/v1/journal", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_request"


def test_a_retry_is_a_no_op_and_an_overlapping_batch_adds_the_new_entries(
    client: AppClient, headers: dict[str, str], settings: Settings
) -> None:
    entries = chain(4)
    post(client, headers, entries[:3])
    before = rows(settings)

    # when the same batch comes again (the terminal did not hear the answer)
    again = post(client, headers, entries[:3])

    # then nothing changes, not even the time it was received
    assert (again.status_code, again.json()) == (200, {"last_seq": 3})
    assert rows(settings) == before
    # and a batch overlapping what is held adds only what is new
    overlap = post(client, headers, entries[1:])
    assert (overlap.status_code, overlap.json()) == (200, {"last_seq": 4})
    assert rows(settings)[:3] == before
    assert read(client, headers)["entries"] == entries


def test_another_entry_at_a_held_seq_is_a_fork_and_nothing_of_its_batch_is_written(
    client: AppClient, headers: dict[str, str]
) -> None:
    # given entries 1, 2 and 5 of a chain (3 and 4 never reached the proxy)
    entries = chain(5)
    post(client, headers, entries[:2])
    post(client, headers, entries[4:])

    # when a batch brings 3 and 4, then another 5 (same prev_hash, other content)
    forked = wire(entry_object(5, entries[3]["hash"], lines=[], total="9.99"))
    response = post(client, headers, [entries[2], entries[3], forked])

    # then the fork is refused and 3 and 4, before it in the batch, are not written either
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "journal_fork"
    assert error["details"] == [
        {
            "field": "entries.2",
            "message": f"POS1 seq 5 is held with hash {entries[4]['hash']}; "
            f"this entry's hash is {forked['hash']}",
        }
    ]
    assert error["message"] == f"entries.2: {error['details'][0]['message']}"
    assert read(client, headers) == {"entries": [entries[0], entries[1], entries[4]], "last_seq": 5}
    # and the right 3 and 4 are still welcome
    assert post(client, headers, entries[2:4]).json() == {"last_seq": 5}
    assert read(client, headers)["entries"] == entries


def other_hash(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "hash": chain_hash(GENESIS_HASH, b"something else")}


def respaced(entry: dict[str, Any]) -> dict[str, Any]:
    value = json.loads(entry["canonical"])
    return {**entry, "canonical": json.dumps(value, ensure_ascii=False)}


def reordered(entry: dict[str, Any]) -> dict[str, Any]:
    value = json.loads(entry["canonical"])
    text = (
        "{"
        + ",".join(
            f"{json.dumps(key)}:{canonicalize(value[key]).decode()}"
            for key in reversed(sorted(value))
        )
        + "}"
    )
    canonical = text.encode()
    return {**entry, "canonical": text, "hash": chain_hash(value["prev_hash"], canonical)}


def ascii_escaped(entry: dict[str, Any]) -> dict[str, Any]:
    # the same value, but with \u00f6 for ö: JSON alike, bytes not
    text = entry["canonical"].replace("ö", "\\u00f6")
    value = json.loads(text)
    return {**entry, "canonical": text, "hash": chain_hash(value["prev_hash"], text.encode())}


def with_float(entry: dict[str, Any]) -> dict[str, Any]:
    assert entry["canonical"].endswith('"v":1}')
    text = entry["canonical"][: -len("1}")] + "1.0}"
    value = json.loads(text)
    return {**entry, "canonical": text, "hash": chain_hash(value["prev_hash"], text.encode())}


def deeply_nested(entry: dict[str, Any]) -> dict[str, Any]:
    text = "[" * 100_000 + "]" * 100_000
    return {**entry, "canonical": text, "hash": chain_hash(GENESIS_HASH, text.encode())}


def seq_mismatch(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "seq": entry["seq"] + 10}


def rechained(entry: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    value = json.loads(entry["canonical"])
    return wire({**value, "prev_hash": prev_hash})


def not_an_object(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "canonical": "[3]", "hash": chain_hash(GENESIS_HASH, b"[3]")}


Batch = list[dict[str, Any]]


def fresh_start(entries: Batch) -> Batch:
    return [wire(entry_object(1, "ab" * 32))]


def bad_hash(entries: Batch) -> Batch:
    return [entries[2], other_hash(entries[3])]


def not_canonical(spoil: Any) -> Any:
    def build(entries: Batch) -> Batch:
        return [entries[2], spoil(entries[3])]

    build.__name__ = spoil.__name__
    return build


def seq_not_the_entrys(entries: Batch) -> Batch:
    return [entries[2], seq_mismatch(entries[3])]


def not_after_the_held_entry(entries: Batch) -> Batch:
    # its own hash is right, but it does not continue the held seq 2
    return [rechained(entries[2], "ab" * 32)]


def not_after_the_entry_before_it(entries: Batch) -> Batch:
    return [entries[2], rechained(entries[3], "cd" * 32)]


def two_terminals(entries: Batch) -> Batch:
    return [entries[2], chain(1, start=4, prev_hash=entries[2]["hash"], terminal="POS2")[0]]


def a_gap_in_the_batch(entries: Batch) -> Batch:
    return [entries[2], chain(1, start=5, prev_hash=entries[2]["hash"])[0]]


@pytest.mark.parametrize(
    ("build", "code", "field"),
    [
        (bad_hash, "invalid_journal_entry", "entries.1.hash"),
        (not_canonical(respaced), "invalid_journal_entry", "entries.1.canonical"),
        (not_canonical(reordered), "invalid_journal_entry", "entries.1.canonical"),
        (not_canonical(ascii_escaped), "invalid_journal_entry", "entries.1.canonical"),
        (not_canonical(with_float), "invalid_journal_entry", "entries.1.canonical"),
        (not_canonical(not_an_object), "invalid_journal_entry", "entries.1.canonical"),
        (not_canonical(deeply_nested), "invalid_journal_entry", "entries.1.canonical"),
        (seq_not_the_entrys, "invalid_journal_entry", "entries.1.seq"),
        (fresh_start, "journal_chain_broken", "entries.0.canonical"),
        (not_after_the_held_entry, "journal_chain_broken", "entries.0.canonical"),
        (not_after_the_entry_before_it, "journal_chain_broken", "entries.1.canonical"),
        (two_terminals, "invalid_journal_entry", "entries.1.canonical"),
        (a_gap_in_the_batch, "invalid_journal_entry", "entries.1.seq"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_bad_entry_is_a_422_and_nothing_of_its_batch_is_written(
    client: AppClient,
    headers: dict[str, str],
    settings: Settings,
    build: Any,
    code: str,
    field: str,
) -> None:
    # given a mirror holding seq 1 and 2 of a chain
    entries = chain(4)
    post(client, headers, entries[:2])
    before = rows(settings)

    # when a batch brings a bad entry (after a good 3, where there is room for one)
    response = post(client, headers, build(entries))

    # then it is refused, the entry and the problem named, and nothing was written
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert [detail["field"] for detail in error["details"]] == [field]
    assert error["message"] == f"{field}: {error['details'][0]['message']}"
    assert rows(settings) == before
    assert read(client, headers) == {"entries": entries[:2], "last_seq": 2}


def test_an_entry_must_also_lead_to_the_held_entry_after_it(
    client: AppClient, headers: dict[str, str], settings: Settings
) -> None:
    # given seq 1 and 3 held (2 missing)
    entries = chain(3)
    post(client, headers, [entries[0]])
    post(client, headers, [entries[2]])

    # when a 2 comes whose own hash is right but is not the prev_hash of the held 3
    other_second = wire(entry_object(2, entries[0]["hash"], lines=[], note="other"))
    response = post(client, headers, [other_second])

    # then it is refused; the right 2 is taken
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "journal_chain_broken"
    assert response.json()["error"]["details"][0]["field"] == "entries.0.hash"
    assert [row[1] for row in rows(settings)] == [1, 3]
    assert post(client, headers, [entries[1]]).json() == {"last_seq": 3}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entries": []}, "entries"),
        ({"entries": chain(501)}, "entries"),
        ({"entries": [{**chain(1)[0], "terminal": "POS1"}]}, "entries.0.terminal"),
        ({"entries": [{**chain(1)[0], "seq": "1"}]}, "entries.0.seq"),
        ({"entries": [{**chain(1)[0], "seq": 0}]}, "entries.0.seq"),
        ({"entries": [{**chain(1)[0], "hash": "AB" * 32}]}, "entries.0.hash"),
        ({"entries": [{**chain(1)[0], "sig": "a+b/c="}]}, "entries.0.sig"),
        ({"entries": [{k: v for k, v in chain(1)[0].items() if k != "sig"}]}, "entries.0.sig"),
        ({"entries": chain(1), "terminal": "POS1"}, "terminal"),
    ],
)
def test_a_body_off_the_wire_form_is_a_422(
    client: AppClient, headers: dict[str, str], settings: Settings, body: Any, field: str
) -> None:
    response = client.post("/proxy/v1/journal", json=body, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in [detail["field"] for detail in error["details"]]
    assert rows(settings) == []


def test_a_lone_surrogate_in_the_canonical_text_is_refused(
    client: AppClient, headers: dict[str, str], settings: Settings
) -> None:
    # JSON can carry \ud800 in a string; it has no UTF-8 form, so no bytes to hash
    entry = chain(1)[0]
    text = json.dumps({"entries": [entry]}).replace("Br\\u00f6tchen", "Br\\ud800tchen")
    assert text.count("\\ud800") == 1
    response = client.post(
        "/proxy/v1/journal",
        content=text.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"][0]["field"]) == (
        "invalid_request",
        "entries.0.canonical",
    )
    assert rows(settings) == []


def test_the_mirror_needs_a_token_and_the_terminals_origin(
    client: AppClient, headers: dict[str, str], settings: Settings
) -> None:
    entries = chain(2)
    post(client, headers, entries[:1])
    refused = [
        (401, post(client, {"Origin": TERMINAL}, entries[1:])),
        (401, post(client, {"Origin": TERMINAL, "Authorization": "Bearer nope"}, entries[1:])),
        (403, post(client, {**headers, "Origin": EVIL}, entries[1:])),
        (403, post(client, {**headers, "Origin": "https://other.example"}, entries[1:])),
        (401, client.get("/proxy/v1/journal?terminal=POS1", headers={"Origin": TERMINAL})),
        (403, client.get("/proxy/v1/journal?terminal=POS1", headers={**headers, "Origin": EVIL})),
        (401, client.get("/proxy/v1/journal/terminals", headers={"Origin": TERMINAL})),
    ]
    for status, response in refused:
        assert response.status_code == status, response.text
        assert "entries" not in response.json()
        if status == 403:  # refused by the guard, before any handler, without CORS
            assert response.json()["error"]["code"] == "origin_not_allowed"
            assert "access-control-allow-origin" not in response.headers
    assert [row[1] for row in rows(settings)] == [1]


def test_the_mirror_survives_a_restart_and_a_reset_of_the_job_store(settings: Settings) -> None:
    entries = chain(3)
    with AppClient(settings, base_url=BASE) as first:
        assert post(first, auth(pair(first)), entries).json() == {"last_seq": 3}

    # when the proxy stops and its job store is deleted (a technician's reset)
    for name in ("proxy.sqlite3", "proxy.sqlite3-wal", "proxy.sqlite3-shm"):
        (settings.state_dir / name).unlink(missing_ok=True)

    # then a new proxy on the same state directory still has every entry, verbatim
    with AppClient(settings, base_url=BASE) as second:
        page = second.get("/").text
        code = page.split('<span class="code">')[1].split("<")[0]
        headers = auth(pair(second, code=code))
        assert read(second, headers) == {"entries": entries, "last_seq": 3}
        assert post(second, headers, chain(1, start=4, prev_hash=entries[2]["hash"])).json() == {
            "last_seq": 4
        }
    with sqlite3.connect(settings.state_dir / "journal.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_mirror_refuses_to_change_or_drop_an_entry(
    client: AppClient, headers: dict[str, str], settings: Settings
) -> None:
    post(client, headers, chain(1))
    with sqlite3.connect(settings.state_dir / "journal.sqlite3") as db:
        for statement in ("UPDATE entries SET sig = 'x'", "DELETE FROM entries"):
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                db.execute(statement)
    assert [row[4] for row in rows(settings)] == [SIG]


def test_the_status_page_lists_the_mirrors_terminals(
    client: AppClient, headers: dict[str, str]
) -> None:
    assert client.get("/proxy/v1/journal/terminals", headers=headers).json() == []
    pos1 = chain(3)
    post(client, headers, pos1)
    post(client, headers, chain(1, start=7, prev_hash="ab" * 32, terminal="POS2"))

    terminals = client.get("/proxy/v1/journal/terminals", headers=headers).json()

    assert [(t["terminal"], t["entries"], t["last_seq"], t["last_hash"]) for t in terminals] == [
        ("POS1", 3, 3, pos1[2]["hash"]),
        ("POS2", 1, 7, terminals[1]["last_hash"]),
    ]
    assert all(t["last_received_at"].endswith("+00:00") for t in terminals)
    page = client.get("/").text
    assert "Journal mirror" in page
    assert 'fetch("/proxy/v1/journal/terminals"' in page


def test_ten_terminals_tabs_posting_the_same_batch_at_once_store_it_once(
    make_settings: Any,
) -> None:
    # a real uvicorn, real sockets, ten clients at once (retries racing each other)
    settings: Settings = make_settings(port=0, allowed_origins=[TERMINAL], pairing_code="ABCD-2345")
    entries = chain(50)
    with ProxyServer(settings, log_level="warning") as server:
        with httpx.Client(base_url=server.url, headers={"Origin": TERMINAL}) as client:
            token = client.post("/proxy/v1/pair", json={"code": "ABCD-2345"}).json()["token"]
        barrier = threading.Barrier(10)
        answers: list[tuple[int, Any]] = []

        def send() -> None:
            with httpx.Client(
                base_url=server.url,
                headers={"Origin": TERMINAL, "Authorization": f"Bearer {token}"},
                timeout=10,
            ) as client:
                barrier.wait()
                response = client.post("/proxy/v1/journal", json={"entries": entries})
                answers.append((response.status_code, response.json()))

        threads = [threading.Thread(target=send) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert answers == [(200, {"last_seq": 50})] * 10
    stored = rows(settings)
    assert [row[1] for row in stored] == list(range(1, 51))
    assert len({row[5] for row in stored}) == 1  # written by one request, in one transaction


def test_an_answered_batch_is_on_disk_when_the_proxy_is_killed_right_after(
    tmp_path: Path,
) -> None:
    # given `kassa proxy` as its own process
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = tmp_path / "state"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("KASSA_")},
        "KASSA_PROXY_STATE_DIR": str(state),
        "KASSA_PROXY_ALLOWED_ORIGINS": TERMINAL,
        "KASSA_PROXY_PAIRING_CODE": "ABCD-2345",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kassa.cli", "proxy", "--port", str(port), "--log-level", "error"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    entries = chain(20)
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, headers={"Origin": TERMINAL}, timeout=5) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.get("/proxy/v1/status")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the proxy did not start"
                    time.sleep(0.05)
            token = client.post("/proxy/v1/pair", json={"code": "ABCD-2345"}).json()["token"]

            # when it answers a batch and is killed at once, with no chance to clean up
            response = client.post(
                "/proxy/v1/journal",
                json={"entries": entries},
                headers={"Authorization": f"Bearer {token}"},
            )
            process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=10)

    # then every entry it acknowledged is in the file
    assert response.json() == {"last_seq": 20}
    with sqlite3.connect(state / "journal.sqlite3") as db:
        stored = db.execute("SELECT seq, canonical FROM entries ORDER BY seq").fetchall()
    assert stored == [(entry["seq"], entry["canonical"].encode()) for entry in entries]
