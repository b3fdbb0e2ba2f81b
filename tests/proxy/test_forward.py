"""The proxy serves the terminal and forwards the server's /api/v1/: real uvicorn on a free
loopback port, a real HTTP upstream on another (standing in for the main server; the
Chromium test in tests/browser/test_proxy_terminal.py runs the real one)."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.proxy.cli import main
from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import Settings
from tests.browser.conftest import free_port

SERVER_ORIGIN = "http://127.0.0.1:8000"
UPSTREAM_BODY_LIMIT = 16 * 1024 * 1024


class Upstream:
    """A stand-in main server: records what reached it, answers like Kassa's API."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.release = threading.Event()  # the streaming test's second half waits for it
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                upstream.seen.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
                )
                if self.path.startswith("/api/v1/catalog/products"):
                    page = json.dumps({"products": [{"id": i} for i in range(100_000)]}).encode()
                    self._answer(
                        200,
                        gzip.compress(page, compresslevel=1),
                        Content_Type="application/json",
                        Content_Encoding="gzip",
                        ETag='"v1"',
                        Set_Cookie="sessionid=nope",
                    )
                elif self.path == "/api/v1/stream":
                    # Half now, the rest once the test has read the first half through the
                    # proxy: a proxy that buffers the whole answer never delivers it.
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(2 * 65536))
                    self.end_headers()
                    self.wfile.write(b"a" * 65536)
                    self.wfile.flush()
                    upstream.release.wait(10)
                    self.wfile.write(b"b" * 65536)
                elif self.path.startswith("/api/v1/terminal"):
                    if self.headers.get("Authorization") != "Bearer device-token":
                        body = b'{"error": {"code": "unauthorized", "message": "pair"}}'
                        self._answer(401, body, Content_Type="application/json")
                    else:
                        self._answer(200, b'{"name": "Till 1"}', Content_Type="application/json")
                else:
                    self._answer(200, b"<html>admin</html>", Content_Type="text/html")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(length)
                upstream.seen.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
                )
                if length > UPSTREAM_BODY_LIMIT:
                    body = b'{"error": {"code": "request_too_large", "message": "too large"}}'
                    self._answer(413, body, Content_Type="application/json")
                    return
                answer = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                self._answer(200, json.dumps(answer).encode(), Content_Type="application/json")

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(5)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as running:
        yield running


def _proxy(make_settings: Any, server_url: str) -> ProxyServer:
    settings: Settings = make_settings(
        port=0,
        allowed_origins=[SERVER_ORIGIN],
        pairing_code="TEST-CODE",
        server_url=server_url,
        printer={"url": "virtual:", "status_interval": 0.05},
        display={"url": "virtual:", "idle_seconds": 0},
        scanner={"url": "virtual:"},
    )
    return ProxyServer(settings, log_level="warning")


@pytest.fixture
def proxy(make_settings: Any, upstream: Upstream) -> Iterator[ProxyServer]:
    with _proxy(make_settings, upstream.url + "/") as running:
        yield running


def test_the_terminal_is_served_at_pos_from_the_installed_package(proxy: ProxyServer) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        index = client.get("/pos/")
        assert index.status_code == 200
        assert index.headers["content-type"] == "text/html; charset=utf-8"
        assert '<script type="module" src="app.js">' in index.text
        assert index.headers["cache-control"] == "no-cache"
        again = client.get("/pos/", headers={"If-None-Match": index.headers["etag"]})
        assert again.status_code == 304

        worker = client.get("/pos/sw.js")
        assert worker.headers["service-worker-allowed"] == "/pos/"
        assert "__KASSA_TERMINAL_VERSION__" not in worker.text
        assert client.get("/pos/sync/api.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/pos").status_code == 308
        for path in ("/pos/../proxy/store.py", "/pos/.hidden", "/pos/nothing.js"):
            assert client.get(path).status_code == 404, path


def test_the_api_is_forwarded_with_the_device_token_and_nothing_else(
    proxy: ProxyServer, upstream: Upstream
) -> None:
    headers = {
        "Authorization": "Bearer device-token",
        "Cookie": "sessionid=admin-session",
        "Origin": proxy.url,
    }
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        answer = client.get("/api/v1/terminal?x=1", headers=headers)
        assert (answer.status_code, answer.json()) == (200, {"name": "Till 1"})
        unpaired = client.get("/api/v1/terminal")
        # the server's own error, as the server said it
        assert unpaired.status_code == 401
        assert unpaired.json()["error"]["code"] == "unauthorized"
    seen = upstream.seen[0]
    assert seen["path"] == "/api/v1/terminal?x=1"
    assert seen["headers"]["authorization"] == "Bearer device-token"
    assert "cookie" not in seen["headers"]
    assert "origin" not in seen["headers"]
    # the proxy's own admin token never leaves it
    assert proxy.admin_token not in json.dumps(upstream.seen)


def test_nothing_else_of_the_server_is_reachable(proxy: ProxyServer, upstream: Upstream) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        for path in ("/admin/", "/admin/login/", "/api/docs", "/api/openapi.json", "/static/x"):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert answer.json()["error"]["code"] == "not_found"
    assert upstream.seen == []


def test_another_origin_cannot_use_the_forwarded_api(
    proxy: ProxyServer, upstream: Upstream
) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        # not even the proxy's allowed origin (its terminal calls its own server)
        for origin in ("https://evil.example", SERVER_ORIGIN):
            answer = client.get("/api/v1/terminal", headers={"Origin": origin})
            assert answer.status_code == 403
            assert "access-control-allow-origin" not in answer.headers
        preflight = client.options(
            "/api/v1/orders/sync",
            headers={"Origin": SERVER_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 403
        # a page on another name of this PC: the Host check refuses it
        assert client.get("/api/v1/terminal", headers={"Host": "evil.example"}).status_code == 400
    assert upstream.seen == []


def test_the_gzip_catalog_page_passes_as_it_is_and_streams(
    proxy: ProxyServer, upstream: Upstream
) -> None:
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        page = client.get(
            "/api/v1/catalog/products?limit=100000", headers={"Accept-Encoding": "gzip"}
        )
        assert page.status_code == 200
        assert page.headers["content-encoding"] == "gzip"
        assert page.headers["etag"] == '"v1"'
        assert "set-cookie" not in page.headers
        assert len(page.json()["products"]) == 100_000

        # The first half arrives before the server has sent the second.
        with client.stream("GET", "/api/v1/stream") as answer:
            chunks = answer.iter_raw()
            received = b""
            while len(received) < 65536:
                received += next(chunks)
            assert upstream.seen[-1]["path"] == "/api/v1/stream"
            upstream.release.set()
            received += b"".join(chunks)
        assert received == b"a" * 65536 + b"b" * 65536


def test_an_order_batch_at_the_size_limit_passes_and_above_it_the_server_says_so(
    proxy: ProxyServer,
) -> None:
    body = b'{"orders": [' + b" " * (UPSTREAM_BODY_LIMIT - 14) + b"]}"
    assert len(body) == UPSTREAM_BODY_LIMIT
    headers = {"Content-Type": "application/json", "Origin": proxy.url}
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        answer = client.post("/api/v1/orders/sync", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        over = client.post("/api/v1/orders/sync", content=body + b" ", headers=headers)
        assert over.status_code == 413
        assert over.json()["error"]["code"] == "request_too_large"


def test_a_server_that_cannot_be_reached_is_an_immediate_json_error(make_settings: Any) -> None:
    port = free_port()  # nothing listens there
    with (
        _proxy(make_settings, f"http://127.0.0.1:{port}") as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
    ):
        started = time.monotonic()
        answer = client.post("/api/v1/orders/sync", json={"orders": []})
        assert time.monotonic() - started < 2
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["error"]["code"] == "server_unreachable"
        # the devices work as before
        assert client.get("/proxy/v1/status").json()["printer"]["state"] == "online"
        assert client.get("/pos/").status_code == 200


def test_without_a_server_url_the_api_says_so(make_settings: Any) -> None:
    with (
        _proxy(make_settings, "") as proxy,
        httpx.Client(base_url=proxy.url, timeout=5) as client,
    ):
        answer = client.get("/api/v1/terminal")
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "no_server"


def test_pairings_are_listed_and_revoked(proxy: ProxyServer) -> None:
    with httpx.Client(base_url=proxy.url, timeout=5) as client:
        # the terminal the proxy serves pairs from the proxy's own origin
        paired = client.post(
            "/proxy/v1/pair",
            json={"code": "TEST-CODE", "label": "Till 1 (POS1)"},
            headers={"Origin": proxy.url},
        )
        assert paired.status_code == 200, paired.text
        token = paired.json()["token"]
        mine = {"Authorization": f"Bearer {token}", "Origin": proxy.url}
        assert client.get("/proxy/v1/jobs", headers=mine).status_code == 200
        # only the local admin lists and revokes
        assert client.get("/proxy/v1/pairings", headers=mine).status_code == 403
        admin = {"Authorization": f"Bearer {proxy.admin_token}"}
        pairings = client.get("/proxy/v1/pairings", headers=admin).json()
        assert [(p["label"], p["origin"]) for p in pairings] == [("Till 1 (POS1)", proxy.url)]
        assert pairings[0]["last_seen_at"] is not None
        assert token not in json.dumps(pairings)

        revoked = client.post(f"/proxy/v1/pairings/{pairings[0]['id']}/revoke", headers=admin)
        assert revoked.status_code == 200
        refused = client.get("/proxy/v1/jobs", headers=mine)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_token"
        assert client.get("/proxy/v1/pairings", headers=admin).json() == []
        again = client.post("/proxy/v1/pairings/abcdef123456/revoke", headers=admin)
        assert again.status_code == 404


def test_kassa_proxy_unpair_and_doctor(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "proxy.toml"
    config.write_text(
        f'state_dir = "state"\nport = {free_port()}\nserver_url = "{upstream.url}"\n'
        'pairing_code = "TEST-CODE"\n'
        '[printer]\nurl = "virtual:"\n[display]\nurl = "virtual:"\n[scanner]\nurl = "virtual:"\n'
    )
    # the proxy not running: the commands read its state directory
    from kassa.proxy.settings import load_settings
    from kassa.proxy.store import Store

    settings = load_settings(config, env={})
    store = Store(settings.state_dir / "proxy.sqlite3")
    store.token_add("secret-1", "http://127.0.0.1:8765", "Till 1 (POS1)")
    store.token_add("secret-2", "http://127.0.0.1:8765", "Till 2 (POS2)")
    store.close()
    assert main(["--config", str(config), "pairings"]) == 0
    listing = capsys.readouterr().out
    assert "Till 1 (POS1)" in listing and "Till 2 (POS2)" in listing
    first = listing.splitlines()[0].split()[0]
    assert main(["--config", str(config), "unpair", first]) == 0
    assert main(["--config", str(config), "pairings"]) == 0
    revoked, *left = capsys.readouterr().out.splitlines()
    assert revoked == f"revoked {first} Till 1 (POS1)"
    assert len(left) == 1 and "Till 2 (POS2)" in left[0]
    assert main(["--config", str(config), "unpair", "--all"]) == 0
    assert main(["--config", str(config), "pairings", "--json"]) == 0
    assert capsys.readouterr().out.strip().endswith("[]")

    # doctor with the proxy running: server, forwarding, terminal files, devices
    with ProxyServer(settings, log_level="warning"):
        assert main(["--config", str(config), "doctor"]) == 0
    report = capsys.readouterr().out
    for line in (
        f"ok    server          {upstream.url} answers as Kassa",
        "ok    forwarding      the till's API reaches the server",
        "ok    terminal files  served at http://127.0.0.1:",
        "ok    printer         virtual: ready",
        "ok    display         virtual: connected",
        "ok    scanner         virtual: connected",
        "all checks passed",
    ):
        assert line in report, report
    # the server gone: said in plain words, and a failure
    upstream.http.shutdown()
    upstream.http.server_close()
    assert main(["--config", str(config), "doctor"]) == 1
    report = capsys.readouterr().out
    assert "FAIL  server" in report and "cannot be reached" in report
