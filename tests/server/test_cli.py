"""The `kassa` command: a real gunicorn server, the CSV import, the demo shop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kassa.server.catalog.barcodes import gtin_check_digit
from kassa.server.catalog.models import Barcode, Product, Tax
from kassa.server.demo import demo_banner, demo_seed
from kassa.server.staff.models import Cashier
from kassa.server.staff.selectors import cashier_check_pin
from kassa.server.terminals.models import PaymentMethod, Terminal
from kassa.server.terminals.services import terminal_pair


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, *, keep_database: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_database:
        env.pop("KASSA_DATABASE_URL", None)  # a throw-away SQLite in tmp_path
    env["KASSA_DATA_DIR"] = str(tmp_path)
    return env


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One request over a socket, as written: urllib would refuse to send some of these."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _assert_gunicorn_refusals_are_json(port: int) -> None:
    long_url = b"/api/v1/catalog/products?after=" + b"1" * 6000
    cases = [
        # a URL beyond gunicorn's request line limit (4094 bytes)
        (b"GET " + long_url + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414, "uri_too_long"),
        # a header beyond its field size limit (8190 bytes)
        (
            b"GET /api/v1/terminal HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
            + b"a" * 10_000
            + b"\r\nConnection: close\r\n\r\n",
            431,
            "headers_too_large",
        ),
        # more headers than it takes (100)
        (
            b"GET /api/v1/terminal HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
            + b"\r\n",
            431,
            "headers_too_large",
        ),
        # not HTTP at all
        (b"\x16\x03\x01 hello\r\n\r\n", 400, "bad_request"),
        # a Host the server does not answer to, under /api/: its own code, from Django
        (
            b"GET /api/v1/terminal HTTP/1.0\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
            400,
            "disallowed_host",
        ),
    ]
    for request, status, code in cases:
        got_status, headers, body = _raw(port, request)
        assert (got_status, headers["content-type"]) == (status, "application/json"), body[:200]
        error = json.loads(body)["error"]
        assert error["code"] == code
        assert error["message"]
    # a wrong method says which ones are allowed
    got_status, headers, body = _raw(
        port, b"DELETE /api/v1/terminal HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert (got_status, headers["allow"]) == (405, "GET")
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_server_runs_migrated_with_static_files(tmp_path: Path) -> None:
    # On the PostgreSQL run this is the throw-away server's database: several workers
    # forked after the migrations must not share the connection the migrations opened.
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kassa.cli", "server", "--port", str(port), "--workers", "3"],
        env=_env(tmp_path, keep_database=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/api/openapi.json")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert status == 200
        assert b'"/api/v1/orders/sync"' in body
        assert _get(f"http://127.0.0.1:{port}/admin/login/")[0] == 200
        status, css = _get(f"http://127.0.0.1:{port}/static/admin/css/base.css")
        assert status == 200 and len(css) > 1000
        # every worker queries the database for the token, at the same time
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(_get, [f"http://127.0.0.1:{port}/api/v1/terminal"] * 36))
        assert {status for status, _ in answers} == {401}
        assert all(b'"unauthorized"' in body for _, body in answers)
        # it listens on loopback only by default
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex(("127.0.0.1", port)) == 0
        # what gunicorn refuses before Django runs is the API's JSON error too (issue 16)
        _assert_gunicorn_refusals_are_json(port)
    finally:
        process.terminate()
        process.communicate(timeout=20)


def _import_products(tmp_path: Path, csv_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kassa.cli", "import-products", str(csv_file)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_products_command(tmp_path: Path) -> None:
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("name,ref,price,tax\nMints,MINT,1.20,VAT 21%\n")
    run = _import_products(tmp_path, csv_file)
    # no taxes exist in a fresh database: the row is refused with its line number
    assert run.returncode == 1
    assert "Nothing imported: 1 of 1 rows have errors." in run.stdout
    assert "line 2: tax 'VAT 21%' is unknown (known: none defined)" in run.stdout
    missing = _import_products(tmp_path, tmp_path / "nope.csv")
    assert missing.returncode == 2
    assert "No such file" in missing.stderr


@pytest.mark.django_db
def test_demo_shop() -> None:
    credentials = demo_seed()
    products = Product.objects.count()
    assert 250 <= products <= 400
    assert Barcode.objects.count() >= products
    for code in Barcode.objects.values_list("code", flat=True):
        assert len(code) == 13 and gtin_check_digit(code[:-1]) == int(code[-1]), code
    assert Product.objects.filter(weighed=True, barcodes__code__startswith="21").exists()
    assert sorted({str(t.rate.normalize()) for t in Tax.objects.all()}) == ["21", "9"]
    assert {t.price_includes_tax for t in Tax.objects.all()} == {True, False}
    assert Product.objects.filter(tax__price_includes_tax=False).exists()
    assert set(PaymentMethod.objects.values_list("name", "is_cash")) == {
        ("Cash", True),
        ("Card", False),
    }
    roles = sorted(Cashier.objects.values_list("role__code", flat=True))
    assert roles == ["cashier", "cashier", "manager"]
    for name, _, pin in credentials.cashiers:
        assert cashier_check_pin(cashier=Cashier.objects.get(name=name), pin=pin)
    assert Terminal.objects.count() == 1
    token, _ = terminal_pair(code=credentials.pairing_code)
    assert token.terminal.code == "POS1"
    banner = demo_banner(credentials, port=8000, proxy_port=8765)
    assert "http://127.0.0.1:8000/pos/" in banner
    assert credentials.admin_password in banner
    # a second start keeps the shop and gives a fresh code
    again = demo_seed()
    assert Product.objects.count() == products
    assert again.pairing_code != credentials.pairing_code


@pytest.mark.django_db
def test_demo_till_points_at_the_demo_proxy() -> None:
    demo_seed()
    assert Terminal.objects.get().proxy_url == "http://127.0.0.1:8765"
    demo_seed(proxy_url="http://127.0.0.1:9876")
    assert Terminal.objects.get().proxy_url == "http://127.0.0.1:9876"
