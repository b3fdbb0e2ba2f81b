"""A chain's topology: two `kassa server` instances on one database (PostgreSQL under
scripts/pg_temp.py, else one SQLite file), each with its own data folder and catalog
cache, sharing only what docs/install.md says an operator shares: KASSA_SECRET_KEY and
the journal key file. Tills sync through both at once; each order is stored exactly once;
an admin session opened on one instance works on the other."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kassa.money import line_price, total
from tests.browser.conftest import free_port

KASSA = [sys.executable, "-m", "kassa.cli"]
POSTGRES = os.environ.get("KASSA_DATABASE_URL", "").startswith(("postgres", "postgresql"))


def _env(data_dir: Path, shared: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env |= shared | {"KASSA_DATA_DIR": str(data_dir), "KASSA_LOG_LEVEL": "ERROR"}
    return env


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not POSTGRES:
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    import psycopg

    base = os.environ["KASSA_DATABASE_URL"]
    name = f"kassa_two_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Instance:
    def __init__(self, data_dir: Path, shared: dict[str, str]) -> None:
        data_dir.mkdir()
        self.env = _env(data_dir, shared)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = (data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [*KASSA, "server", "--port", str(self.port), "--workers", "2"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited"
            try:
                urllib.request.urlopen(f"{self.url}/pos/", timeout=1).close()
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def api(self, method: str, path: str, token: str | None, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}/api/v1/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


def _orders(
    terminal: dict[str, Any],
    catalog: dict[str, Any],
    products: list[dict[str, Any]],
    session: str,
    cashier: int,
    count: int,
) -> list[dict[str, Any]]:
    taxes = {tax["id"]: tax for tax in catalog["taxes"]}
    cash = next(method for method in terminal["payment_methods"] if method["is_cash"])
    orders = []
    for number in range(1, count + 1):
        product = products[number % len(products)]
        tax = taxes[product["tax_id"]]
        amount = line_price(
            quantity=Decimal(1),
            unit_price=Decimal(product["price"]),
            discount=Decimal(0),
            rate=Decimal(tax["rate"]),
            price_includes_tax=tax["price_includes_tax"],
        )
        totals = total([amount])
        orders.append(
            {
                "uuid": str(uuid.uuid4()),
                "receipt_number": f"{terminal['receipt_prefix']}{number:06d}",
                "session_uuid": session,
                "cashier_id": cashier,
                "created_at": "2026-11-30T10:00:00+00:00",
                "lines": [
                    {
                        "product_id": product["id"],
                        "quantity": "1",
                        "unit_price": product["price"],
                        "tax_id": tax["id"],
                        "tax_rate": tax["rate"],
                        "price_includes_tax": tax["price_includes_tax"],
                        "net": str(amount.net),
                        "tax": str(amount.tax),
                        "gross": str(amount.gross),
                    }
                ],
                "payments": [{"method_id": cash["id"], "amount": str(totals.gross)}],
                "totals": {
                    "net": str(totals.net),
                    "tax": str(totals.tax),
                    "gross": str(totals.gross),
                },
            }
        )
    return orders


def _admin_login(instance: Instance, user: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{instance.url}/admin/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": user,
            "password": password,
            "next": "/admin/",
        }
    ).encode()
    opener.open(
        urllib.request.Request(
            f"{instance.url}/admin/login/", data=form, headers={"Referer": instance.url}
        ),
        timeout=10,
    ).close()
    return opener


def test_two_instances_on_one_database(tmp_path: Path, database_url: str) -> None:
    shared = {
        "KASSA_DATABASE_URL": database_url,
        "KASSA_SECRET_KEY": secrets.token_urlsafe(50),
        "KASSA_JOURNAL_KEY_FILE": str(tmp_path / "journal_key.pem"),
    }
    setup = _env(tmp_path, shared)
    subprocess.run([*KASSA, "manage", "migrate", "-v0"], env=setup, check=True, timeout=180)
    seed = subprocess.run(
        [*KASSA, "manage", "demo_seed", "--json"],
        env=setup,
        check=True,
        timeout=180,
        capture_output=True,
        text=True,
    )
    credentials = json.loads(seed.stdout)
    a, b = Instance(tmp_path / "a", shared), Instance(tmp_path / "b", shared)
    try:
        a.wait()
        b.wait()
        # paired on one, known on the other
        paired = a.api("POST", "pair", None, {"code": credentials["pairing_code"]})
        token = paired["token"]
        terminal = b.api("GET", "terminal", token)
        assert terminal["code"] == paired["terminal"]["code"]
        # the catalog, a page from each (each instance's own cache, the same bytes)
        catalog = a.api("GET", "catalog", token)
        page_a = a.api("GET", "catalog/products?limit=500", token)
        page_b = b.api("GET", "catalog/products?limit=500", token)
        assert page_a == page_b
        cashier = b.api("GET", "cashiers", token)[0]["id"]
        session = str(uuid.uuid4())
        a.api(
            "POST",
            "sessions",
            token,
            {
                "uuid": session,
                "cashier_id": cashier,
                "opened_at": "2026-11-30T09:00:00+00:00",
                "opening_float": "100.00",
            },
        )
        orders = _orders(terminal, catalog, page_a["products"], session, cashier, 60)
        batches = [orders[i : i + 20] for i in range(0, len(orders), 20)]

        # Every batch sent through both instances at the same moment, twice (a till that
        # retries through the load balancer after a timeout).
        results: list[dict[str, Any]] = []
        lock = threading.Lock()
        start = threading.Barrier(4)

        def sync(instance: Instance) -> None:
            start.wait()
            for batch in batches:
                answer = instance.api("POST", "orders/sync", token, {"orders": batch})
                with lock:
                    results.extend(answer["results"])

        threads = [threading.Thread(target=sync, args=(inst,)) for inst in (a, b, a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert len(results) == 4 * len(orders)
        statuses: dict[str, list[str]] = {}
        for result in results:
            statuses.setdefault(result["uuid"], []).append(result["status"])
        assert len(statuses) == len(orders)
        for status in statuses.values():
            # exactly one "accepted" per order, whichever instance took it
            assert sorted(status) == ["accepted", "duplicate", "duplicate", "duplicate"]

        # the back office: logged in on A, the same session works on B
        opener = _admin_login(a, credentials["admin_user"], credentials["admin_password"])
        for instance in (a, b):
            listing = opener.open(f"{instance.url}/admin/orders/order/", timeout=10)
            assert "/login/" not in listing.url, listing.url  # not sent to log in again
            body = listing.read().decode()
            assert f"{len(orders)} orders" in body or f"{len(orders)} Orders" in body
    finally:
        a.stop()
        b.stop()


def test_the_cache_setting(tmp_path: Path) -> None:
    from kassa.server.settings import cache_settings

    default = cache_settings("", tmp_path)["default"]
    assert default["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert default["LOCATION"] == os.environ.get("KASSA_CACHE_DIR", str(tmp_path / "cache"))
    shared = cache_settings("redis://cache:6379/0", tmp_path)["default"]
    assert shared["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["LOCATION"] == "redis://cache:6379/0"
    folder = cache_settings("file:///mnt/kassa-cache", tmp_path)["default"]
    assert folder["LOCATION"] == "/mnt/kassa-cache"
    for bad in ("memcached://x", "file://relative"):
        with pytest.raises(ValueError, match="KASSA_CACHE_URL"):
            cache_settings(bad, tmp_path)
