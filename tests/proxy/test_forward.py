"""The proxy serves the terminal and forwards the server's /api/v1/: real uvicorn on a free
loopback port, a real HTTP upstream on another (standing in for the main server; the
Chromium test in tests/browser/test_proxy_terminal.py runs the real one).

The stand-in keeps connections alive (HTTP/1.1), unlike Kassa's server (gunicorn's sync
workers close each one), so the proxy's connection reuse is tested here too."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import ipaddress
import json
import socket
import ssl
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
        self.closed_by_proxy = threading.Event()  # the till went away: the proxy hung up
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

            def _seen(self) -> bool:
                """Record the call; False: this kept connection is to drop it unanswered."""
                upstream.seen.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "connection": self.client_address[1],
                    }
                )
                if getattr(self, "drop_next", False):
                    self.close_connection = True  # as a server whose keep-alive ran out
                    return False
                self.drop_next = self.path.endswith("?then-drop")
                return True

            def do_HEAD(self) -> None:
                self._seen()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "10")
                self.end_headers()

            def do_GET(self) -> None:
                if not self._seen():
                    return
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
                elif self.path == "/api/v1/stream-gone":
                    # The till reads a part and goes away: the proxy must hang up on the
                    # server too, not keep reading it (or keep the connection for later).
                    self.send_response(200)
                    self.send_header("Content-Length", str(64 * 1024 * 1024))
                    self.end_headers()
                    try:
                        for _ in range(1024):
                            self.wfile.write(b"c" * 65536)
                    except OSError:
                        upstream.closed_by_proxy.set()
                    self.close_connection = True
                elif self.path == "/api/v1/chunked":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for part in (b'{"parts": ', b"[1, 2, 3]", b"}"):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                elif self.path == "/api/v1/cut":
                    # promises 100 bytes, sends 10 and hangs up
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    self.wfile.write(b"x" * 10)
                    self.close_connection = True
                elif self.path == "/api/v1/slow":
                    time.sleep(1.5)
                    self._answer(200, b"{}", Content_Type="application/json")
                elif self.path == "/api/v1/catalog":
                    if self.headers.get("If-None-Match") == '"v7"':
                        self.send_response(304)
                        self.send_header("ETag", '"v7"')
                        self.end_headers()
                    else:
                        self._answer(200, b'{"v": 7}', Content_Type="application/json", ETag='"v7"')
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
                if not self._seen():
                    return
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

    def serve_tls(self, context: ssl.SSLContext) -> None:
        self.http.socket = context.wrap_socket(self.http.socket, server_side=True)
        self.url = self.url.replace("http://", "https://")

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


def _proxy(make_settings: Any, server_url: str, **more: Any) -> ProxyServer:
    settings: Settings = make_settings(
        **more,
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


def _raw(url: str, request: bytes) -> bytes:
    """A request as bytes on a socket of its own: no client library tidies its path."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_no_path_climbs_out_of_the_api(proxy: ProxyServer, upstream: Upstream) -> None:
    # `..` (plain, percent-encoded, or hidden behind an encoded slash) would take a call
    # out of /api/v1/ on the server, to its admin or its other APIs
    host = proxy.url.removeprefix("http://")
    for path in (
        "/api/v1/../../admin/",
        "/api/v1/%2e%2e/%2E%2E/admin/",
        "/api/v1/x/..%2f..%2f..%2fadmin/",
        "/api/v1/./terminal",
        "/api/v1/..\\..\\admin/",
    ):
        answer = _raw(
            proxy.url, f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 404 "), (path, head)
        assert json.loads(body)["error"]["code"] == "not_found"
    assert upstream.seen == []


def test_the_answers_as_the_server_frames_them(proxy: ProxyServer, upstream: Upstream) -> None:
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        # chunked from the server: the same bytes, framed anew
        assert client.get("/api/v1/chunked").json() == {"parts": [1, 2, 3]}
        # HEAD: the head only, its Content-Length as the server said
        head = client.head("/api/v1/terminal")
        assert (head.status_code, head.headers["content-length"], head.content) == (200, "10", b"")
        # a conditional GET: the 304 with its ETag, no body
        first = client.get("/api/v1/catalog")
        assert (first.status_code, first.json(), first.headers["etag"]) == (200, {"v": 7}, '"v7"')
        again = client.get("/api/v1/catalog", headers={"If-None-Match": '"v7"'})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", '"v7"')
        # the server's answer broken off: the till sees a broken answer, not a short one
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v1/cut")
        # a method the API does not have: the proxy's JSON, the server never asked
        before = len(upstream.seen)
        trace = client.request("TRACE", "/api/v1/terminal")
        assert trace.status_code == 405
        assert trace.json()["error"]["code"] == "method_not_allowed"
        assert len(upstream.seen) == before
        # and the proxy goes on serving
        assert client.get("/api/v1/catalog").json() == {"v": 7}


def test_kept_connections_are_reused_and_a_dropped_one_is_not_a_failure(
    proxy: ProxyServer, upstream: Upstream
) -> None:
    token = {"Authorization": "Bearer device-token"}
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        for _ in range(3):
            assert client.get("/api/v1/terminal", headers=token).status_code == 200
        # one connection to the server for the three calls, as the server keeps it alive
        assert len({seen["connection"] for seen in upstream.seen}) == 1

        # The server drops a kept connection as the proxy reuses it (its keep-alive ran
        # out): a GET goes again on a new connection, and the till never knows.
        assert client.get("/api/v1/catalog?then-drop").status_code == 200
        kept = upstream.seen[-1]["connection"]
        answer = client.get("/api/v1/terminal", headers=token)
        assert (answer.status_code, answer.json()) == (200, {"name": "Till 1"})
        assert upstream.seen[-2]["connection"] == kept  # tried on the kept one...
        assert upstream.seen[-1]["connection"] != kept  # ...and answered on a new one

        # A POST's body went into the dropped connection: it is not sent twice, the till
        # hears "unreachable" and sends the batch again later (orders are idempotent).
        assert client.get("/api/v1/catalog?then-drop").status_code == 200
        posted = client.post("/api/v1/orders/sync", json={"orders": []})
        assert posted.status_code == 503
        assert posted.json()["error"]["code"] == "server_unreachable"
        assert client.post("/api/v1/orders/sync", json={"orders": []}).status_code == 200


def test_a_till_that_goes_away_stops_the_forwarding(proxy: ProxyServer, upstream: Upstream) -> None:
    with (
        httpx.Client(base_url=proxy.url, timeout=10) as client,
        client.stream("GET", "/api/v1/stream-gone") as answer,
    ):
        chunks = answer.iter_raw()
        received = 0
        while received < 1024 * 1024:
            received += len(next(chunks))
    # the till closed its connection after 1 MiB of 64: the proxy hangs up on the server
    assert upstream.closed_by_proxy.wait(10)


def test_a_server_that_does_not_answer_in_time(make_settings: Any, upstream: Upstream) -> None:
    with (
        _proxy(make_settings, upstream.url, server_read_timeout=0.5) as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
    ):
        started = time.monotonic()
        answer = client.get("/api/v1/slow")
        assert time.monotonic() - started < 1.4
        assert answer.status_code == 503
        assert answer.json()["error"] == {
            "code": "server_unreachable",
            "message": "the server did not answer in time",
        }


def _tls_contexts(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A CA of the test's own and a certificate it signs for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Kassa test CA", ca_key, "Kassa test CA", ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate("127.0.0.1", key, "Kassa test CA", ca_key, ca=False)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return context, ca_file


def test_https_to_the_server_with_its_ca_file(make_settings: Any, tmp_path: Path) -> None:
    server_tls, ca_file = _tls_contexts(tmp_path)
    with Upstream() as upstream:
        upstream.serve_tls(server_tls)
        with (
            _proxy(make_settings, upstream.url, server_ca_file=str(ca_file)) as proxy,
            httpx.Client(base_url=proxy.url, timeout=10) as client,
        ):
            page = client.get("/api/v1/catalog/products", headers={"Accept-Encoding": "gzip"})
            assert page.status_code == 200
            assert len(page.json()["products"]) == 100_000
            body = b'{"orders": [' + b" " * 300_000 + b"]}"
            posted = client.post(
                "/api/v1/orders/sync", content=body, headers={"Content-Type": "application/json"}
            )
            assert posted.json() == {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        # without the CA, the server's certificate is not trusted: unreachable, at once
        with (
            _proxy(make_settings, upstream.url) as proxy,
            httpx.Client(base_url=proxy.url, timeout=10) as client,
        ):
            refused = client.get("/api/v1/terminal")
            assert refused.status_code == 503
            assert "SSL" in refused.json()["error"]["message"]
