"""The proxy on a real uvicorn on a free loopback port, driven with httpx like the terminal."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kassa.proxy.server import ProxyServer, read_runtime
from kassa.proxy.settings import Settings
from tests.proxy.test_receipts import receipt_data

TERMINAL = "http://127.0.0.1:8000"


@pytest.fixture
def server(make_settings: Any) -> Iterator[ProxyServer]:
    settings: Settings = make_settings(
        port=0,
        allowed_origins=[TERMINAL],
        pairing_code="TEST-CODE",
        printer={"url": "virtual:", "status_interval": 0.05, "columns": 32},
        display={"url": "virtual:", "idle_seconds": 0},
        scanner={"url": "virtual:"},
    )
    with ProxyServer(settings, log_level="warning") as running:
        yield running


@pytest.fixture
def terminal(server: ProxyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Origin": TERMINAL}, timeout=5) as client:
        token = client.post("/proxy/v1/pair", json={"code": "TEST-CODE"}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def wait_job(client: httpx.Client, job_id: str, state: str, timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/proxy/v1/jobs/{job_id}").json()
        if job["state"] == state:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job stayed {job['state']} ({job['fault']})")
        time.sleep(0.01)


def test_runtime_file_names_the_url_and_admin_token(server: ProxyServer) -> None:
    info = read_runtime(server.settings)
    assert info is not None
    assert info["url"] == server.url
    assert info["admin_token"] == server.admin_token
    assert server.url.startswith("http://127.0.0.1:")
    assert (server.settings.state_dir / "proxy.json").stat().st_mode & 0o777 == 0o600


def test_a_receipt_prints_on_the_virtual_printer_with_its_drawer(terminal: httpx.Client) -> None:
    body = {
        "key": "order-9",
        "receipt": receipt_data(code={"format": "qr", "value": "K-9"}),
        "open_drawer": True,
    }
    job = terminal.post("/proxy/v1/print/receipt", json=body).json()
    wait_job(terminal, job["job_id"], "printed")

    receipts = terminal.get("/proxy/v1/virtual/receipts").json()
    assert len(receipts) == 1
    text = receipts[0]["text"]
    assert "Café Ünal" in text
    assert "TOTAL                     2.75 €" in text
    assert "[QR: K-9]" in text
    png = terminal.get(receipts[0]["png"])
    assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    status = terminal.get("/proxy/v1/status").json()
    assert status["drawer"]["state"] == "open"
    assert terminal.post("/proxy/v1/virtual/drawer/close").json() == {"state": "closed"}
    assert terminal.get("/proxy/v1/status").json()["drawer"]["state"] == "closed"


def test_injected_faults_hold_the_job_and_show_in_the_status(terminal: httpx.Client) -> None:
    faults = terminal.post("/proxy/v1/virtual/printer/faults", json={"paper": "out"}).json()
    assert faults == {"paper": "out", "cover_open": False, "offline": False, "no_answer": False}
    job = terminal.post(
        "/proxy/v1/print/receipt", json={"key": "k1", "receipt": receipt_data()}
    ).json()
    waiting = wait_job(terminal, job["job_id"], "waiting")
    assert waiting["fault"] == "paper_out"
    printer = terminal.get("/proxy/v1/status").json()["printer"]
    assert (printer["state"], printer["paper"], printer["fault"]) == ("offline", "out", "paper_out")
    assert terminal.get("/proxy/v1/virtual/receipts").json() == []

    terminal.post("/proxy/v1/virtual/printer/faults", json={"paper": "ok", "cover_open": True})
    assert wait_job(terminal, job["job_id"], "waiting")["fault"] == "cover_open"
    terminal.post("/proxy/v1/virtual/printer/faults", json={"cover_open": False, "no_answer": True})
    assert wait_job(terminal, job["job_id"], "waiting")["fault"] == "no_answer"
    assert terminal.get("/proxy/v1/status").json()["printer"]["state"] == "unknown"
    terminal.post("/proxy/v1/virtual/printer/faults", json={"no_answer": False})

    printed = wait_job(terminal, job["job_id"], "printed")
    assert printed["attempts"] == 1
    assert len(terminal.get("/proxy/v1/virtual/receipts").json()) == 1


def read_events(response: httpx.Response, count: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, event, data) of the next `count` events; comments and the opening id skipped."""
    events: list[tuple[str, str, dict[str, Any]]] = []
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if "data" in fields:
                events.append((fields["id"], fields["event"], json.loads(fields["data"])))
                if len(events) == count:
                    return events
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    raise AssertionError("stream ended")


def scan_later(server: ProxyServer, *codes: str) -> threading.Thread:
    """Scan on the virtual scanner shortly, from another client, while the test reads."""

    def scan() -> None:
        time.sleep(0.1)
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.url, headers=headers) as client:
            for code in codes:
                client.post("/proxy/v1/virtual/scan", json={"code": code}).raise_for_status()

    thread = threading.Thread(target=scan)
    thread.start()
    return thread


def test_scans_are_pushed_once_and_resume_without_duplicates(
    server: ProxyServer, terminal: httpx.Client
) -> None:
    token = terminal.headers["Authorization"].split()[1]
    url = f"/proxy/v1/events?token={token}"
    no_header = {"Authorization": ""}

    # given a subscribed terminal (EventSource sends the token as a query parameter)
    with terminal.stream("GET", url, headers=no_header) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["access-control-allow-origin"] == TERMINAL
        # when two codes are scanned
        scanner = scan_later(server, "111", "222")
        first = read_events(stream, 2)
        scanner.join()
    assert [(kind, data["code"]) for _, kind, data in first] == [("scan", "111"), ("scan", "222")]
    assert first[0][2]["source"] == "virtual:"

    # and a third one is scanned while the terminal reconnects
    scan_later(server, "333").join()
    with terminal.stream("GET", url, headers={**no_header, "Last-Event-ID": first[0][0]}) as stream:
        resumed = read_events(stream, 2)
    # then the reconnect brings what was missed after the last id, nothing twice
    assert [data["code"] for _, kind, data in resumed if kind == "scan"] == ["222", "333"]

    # and a new subscriber does not receive old scans
    with terminal.stream("GET", url, headers=no_header) as stream:
        scanner = scan_later(server, "444")
        fresh = read_events(stream, 1)
        scanner.join()
    assert fresh[0][2]["code"] == "444"


def test_events_need_a_token_even_as_a_query_parameter(server: ProxyServer) -> None:
    with httpx.Client(base_url=server.url, headers={"Origin": TERMINAL}) as client:
        assert client.get("/proxy/v1/events").status_code == 401
        assert client.get("/proxy/v1/events?token=forged").status_code == 401
        # the query parameter is accepted on the event stream only
        assert client.post(f"/proxy/v1/print/test?token={server.admin_token}").status_code == 401


def test_the_server_stops_promptly_with_an_open_event_stream(make_settings: Any) -> None:
    settings = make_settings(port=0, printer={"url": "virtual:"})
    server = ProxyServer(settings, log_level="warning")
    server.start()
    received: list[str] = []

    def listen() -> None:
        url = f"/proxy/v1/events?token={server.admin_token}"
        with (
            httpx.Client(base_url=server.url, timeout=10) as client,
            client.stream("GET", url) as stream,
        ):
            received.extend(stream.iter_lines())

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    listener.join(5)
    assert time.monotonic() - started < 2
    assert not listener.is_alive()
    assert received[0] == "retry: 1000"
    assert not (settings.state_dir / "proxy.json").exists()


def test_the_status_page_shows_the_devices(server: ProxyServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/")
    assert page.status_code == 200
    for text in (
        "Test print",
        "Open drawer",
        "Clear display",
        "Last receipts",
        "Customer display",
        "TEST-CODE",
    ):
        assert text in page.text


def test_the_demo_entry_point_runs_every_device_virtual(tmp_path: Any) -> None:
    from kassa.proxy.server import demo_server

    with (
        demo_server(tmp_path / "proxy", port=0) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        status = client.get("/proxy/v1/status", headers={"Origin": "http://127.0.0.1:8000"})
        assert status.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
        devices = status.json()
        assert [devices[name]["url"] for name in ("printer", "display", "scanner")] == [
            "virtual:"
        ] * 3
        assert devices["printer"]["columns"] == 42
        paired = client.post(
            "/proxy/v1/pair",
            json={"code": "DEMO-2024"},
            headers={"Origin": "http://localhost:8000"},
        )
        assert paired.status_code == 200
    assert (tmp_path / "proxy" / "proxy.sqlite3").exists()


def test_an_unexpected_failure_is_a_json_error_too(
    server: ProxyServer, terminal: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.hardware, "status", broken)
    response = terminal.get("/proxy/v1/status")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "unexpected error, see the proxy log"}
    }
    assert response.headers["access-control-allow-origin"] == TERMINAL
