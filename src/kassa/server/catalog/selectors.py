"""Catalog reads for terminals, built for 100,000 products: plain cursors, no model
instances, and JSON bytes produced by orjson, cached per catalog version."""

from __future__ import annotations

import fcntl
import gzip
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections

from . import tillindex
from .models import Barcode, CatalogVersion, Category, Product, Tax, Tombstone

logger = logging.getLogger(__name__)

_CENT = Decimal("0.01")
_PRODUCT_KEYS = (
    "id",
    "name",
    "ref",
    "barcodes",
    "category_id",
    "price",
    "tax_id",
    "unit",
    "weighed",
)


def catalog_version_current() -> int:
    return CatalogVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def catalog_cache_key() -> str:
    """Changes with every catalog write, and differs between databases."""
    row = CatalogVersion.objects.filter(pk=1).values_list("epoch", "value").first()
    return f"{row[0].hex}:{row[1]}" if row else "empty"


def _decimal_str(value: Any) -> str:
    # A raw cursor gets Decimal from PostgreSQL but int or float from SQLite's NUMERIC
    # column; going through str() is what Django's own SQLite converter does.
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return str(value.quantize(_CENT))


def catalog_meta() -> dict[str, Any]:
    return {
        "token": catalog_version_current(),
        "taxes": [
            {
                "id": t.pk,
                "name": t.name,
                "rate": f"{t.rate.normalize():f}",
                "price_includes_tax": t.price_includes_tax,
            }
            for t in Tax.objects.order_by("pk")
        ],
        "categories": [
            {"id": pk, "name": name, "parent_id": parent, "sort_order": order}
            for pk, name, parent, order in Category.objects.order_by(
                "sort_order", "name"
            ).values_list("pk", "name", "parent_id", "sort_order")
        ],
    }


def catalog_products(*, since: int | None, after: int, limit: int) -> dict[str, Any]:
    """One page of products ordered by id.

    Without `since`, the active products (a full download). With `since`, the products
    changed after that token, and in `deleted` the ids of those deactivated or removed.
    The token is read before the rows, so a change committed meanwhile is sent again next
    time rather than missed.
    """
    token = catalog_version_current()
    product = Product._meta.db_table
    barcode = Barcode._meta.db_table
    postgres = connection.vendor == "postgresql"
    # PostgreSQL hands out numeric(12,2) as text with its two places; SQLite stores
    # NUMERIC as int or float, which _decimal_str turns back into "1.90" below.
    price = "CAST(p.price AS TEXT)" if postgres else "p.price"
    columns = f"p.id, p.name, p.ref, p.category_id, {price}, p.tax_id, p.unit, p.weighed, p.active"
    with connection.cursor() as cursor:
        by_version = since is not None and _delta_fits(
            cursor, since=since, after=after, limit=limit
        )
        if since is None:
            cursor.execute(
                f"SELECT {columns} FROM {product} p "  # noqa: S608
                "WHERE p.id > %s AND p.active ORDER BY p.id LIMIT %s",
                [after, limit],
            )
        elif by_version:
            # The rest of the delta fits in this page: its rows read through the version
            # index and sorted, not found by walking every product (SQLite, which has no
            # statistics, walked all 300,000 ids for a delta of 10,000). The unary plus
            # keeps the primary key out of the plan.
            cursor.execute(
                f"SELECT {columns} FROM {product} p "  # noqa: S608
                "WHERE p.version > %s AND +p.id > %s ORDER BY +p.id LIMIT %s",
                [since, after, limit],
            )
        else:
            # A delta larger than a page: changes are dense, walking the ids is cheaper.
            cursor.execute(
                f"SELECT {columns} FROM {product} p "  # noqa: S608
                "WHERE p.id > %s AND p.version > %s ORDER BY p.id LIMIT %s",
                [after, since, limit],
            )
        rows = cursor.fetchall()
        codes: dict[int, list[str]] = {}
        if rows and since is None:
            cursor.execute(
                f"SELECT product_id, code FROM {barcode} "  # noqa: S608
                "WHERE product_id > %s AND product_id <= %s ORDER BY id",
                [after, rows[-1][0]],
            )
        elif rows:
            # A delta's products are spread over every id: the barcodes of those in the
            # page, looked up by their ids (one array or JSON parameter), not those of
            # every product in the page's id range (all of them, for 10,000 of a million).
            ids = [row[0] for row in rows if row[8]]
            if postgres:
                cursor.execute(
                    f"SELECT product_id, code FROM {barcode} "  # noqa: S608
                    "WHERE product_id = ANY(%s) ORDER BY id",
                    [ids],
                )
            else:
                cursor.execute(
                    f"SELECT product_id, code FROM {barcode} "  # noqa: S608
                    "WHERE product_id IN (SELECT value FROM json_each(%s)) ORDER BY id",
                    [orjson.dumps(ids).decode()],
                )
        if rows:
            for product_id, code in cursor.fetchall():
                if product_id in codes:
                    codes[product_id].append(code)
                else:
                    codes[product_id] = [code]
    text_prices = postgres
    no_codes: list[str] = []
    products = []
    deleted = []
    # dict(zip(...)) builds each product in C: half the time of a dict display here.
    for pk, name, ref, category_id, price_value, tax_id, unit, weighed, active in rows:
        if not active:
            deleted.append(pk)
            continue
        products.append(
            dict(
                zip(
                    _PRODUCT_KEYS,
                    (
                        pk,
                        name,
                        ref,
                        codes.get(pk, no_codes),
                        category_id,
                        price_value if text_prices else _decimal_str(price_value),
                        tax_id,
                        unit,
                        weighed is True or weighed == 1,
                    ),
                    strict=True,
                )
            )
        )
    if since is not None and len(rows) < limit:
        # Removed products have no row left: their tombstones come with the last page.
        deleted.extend(
            Tombstone.objects.filter(version__gt=since).values_list("product_id", flat=True)
        )
    result: dict[str, Any] = {
        "token": token,
        "products": products,
        "deleted": deleted,
        "next_after": rows[-1][0] if len(rows) == limit else None,
    }
    if since is None and after == 0:
        result["total"] = Product.objects.filter(active=True).count()
    return result


def _delta_fits(cursor: Any, *, since: int, after: int, limit: int) -> bool:
    """Whether the products changed since `since` past id `after` fit in one page: counted
    in the version index, reading at most `limit` + 1 of its entries."""
    product = Product._meta.db_table
    cursor.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM "  # noqa: S608
        f"{product} p WHERE p.version > %s AND +p.id > %s LIMIT %s) AS changed",
        [since, after, limit + 1],
    )
    count: int = cursor.fetchone()[0]
    return count <= limit


def catalog_product_page_bytes(
    *, since: int | None, after: int, limit: int, gzipped: bool
) -> bytes:
    """A page as JSON bytes, cached per catalog version: when a shop's tills start in the
    morning, the first download builds the pages and the others are served from cache.
    A catalog write moves the version on, so a cached page is never served stale. The
    gzipped page is made from the cached JSON, so the page is built once for both."""
    key = f"kassa:products:{catalog_cache_key()}:{since}:{after}:{limit}"

    def page_json() -> bytes:
        return _cached(key, lambda: _page_json(since=since, after=after, limit=limit))

    if not gzipped:
        return page_json()
    # Level 1: a seventh of the size for ~60 ms per 100,000 products.
    return _cached(f"{key}:gzip", lambda: gzip.compress(page_json(), compresslevel=1))


def _page_json(*, since: int | None, after: int, limit: int) -> bytes:
    # Built by hand: pydantic would take most of the time on 100,000 products.
    return orjson.dumps(catalog_products(since=since, after=after, limit=limit))


def _cached(key: str, build: Callable[[], bytes]) -> bytes:
    body: bytes | None = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, timeout=24 * 3600)
    return body


# --- the till's search index, built here once per catalog version (tillindex.py) -----------

# A snapshot is served while at most this many products changed since it was built: the till
# fetches those as a delta and applies them in place (about 0.1 s for 5,000 in Chromium);
# past that it is built again. So a shop editing its catalog all day rebuilds it now and
# then, not on every edit, and a till never takes a large delta on top of its snapshot.
TILL_INDEX_STALE = 5_000


@dataclass(frozen=True)
class TillIndexSnapshot:
    version: int  # the catalog version it was built at
    count: int  # products
    size: int  # bytes of the binary form
    gzipped: bytes  # the binary form, gzip level 1


# Catalogs up to this many active products get their index built while the till waits
# (under a second); a larger one is built in the background and the tills asking meanwhile
# build theirs from the pages, as before the server built it (at 300,000 products the
# build takes about 6 s, more than the till's own way).
TILL_INDEX_INLINE = 50_000


def catalog_till_index() -> TillIndexSnapshot | None:
    """The till's search index in its binary form (tillindex.py), as recent as needed, or
    None while it is being built (build from the pages).

    Built when a till asks for it and more than TILL_INDEX_STALE products changed since the
    last one (none yet: every product), one build at a time, and kept in the cache beside
    the product pages, so that the morning's tills share one build. An older snapshot is
    served as it is: the till then downloads the changes since its version (`since`), as
    for any update.
    """
    epoch = CatalogVersion.objects.filter(pk=1).values_list("epoch", flat=True).first()
    key = f"kassa:tillindex:{epoch.hex if epoch else 'empty'}:{tillindex.INDEX_FORMAT}"
    snapshot = _fresh_cached(key)
    if snapshot is not None:
        return snapshot
    large = Product.objects.filter(active=True)[: TILL_INDEX_INLINE + 1].count()
    if large > TILL_INDEX_INLINE:
        _build_in_background(key)
        return None
    with _build_lock():
        return _fresh_cached(key) or _built(key)


def _fresh_cached(key: str) -> TillIndexSnapshot | None:
    """The cached snapshot, if it is fresh enough to serve."""
    snapshot: TillIndexSnapshot | None = cache.get(key)
    return snapshot if snapshot is not None and _fresh_enough(snapshot.version) else None


def _built(key: str) -> TillIndexSnapshot:
    """A snapshot built now and cached under `key` (the caller holds the build lock)."""
    snapshot = till_index_build()
    cache.set(key, snapshot, timeout=None)
    return snapshot


# The background builds started by this process, each a thread waiting for its child (the
# tests wait for them).
till_index_builders: list[threading.Thread] = []


def _build_in_background(key: str) -> None:
    """Start building the index in a child of this process, unless a build is under way
    (here or in another worker process of this server). A child, not a thread: the build
    holds every name and word as Python objects (about 0.85 GB at 1,000,000 products),
    which a long-lived worker process would keep; the child gives it back as it ends."""
    handle = _lock_path().open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child, measured by the parent's test
        status = 1
        try:
            close_inherited_listeners()
            # The parent's database connections are its own: opened again here, the old
            # ones kept (never closed nor collected: that could end the parent's session
            # on the shared socket).
            for alias in connections:
                _inherited.append(connections[alias].connection)
                connections[alias].connection = None
            if _fresh_cached(key) is None:
                _built(key)
            connections.close_all()
            status = 0
        except BaseException:
            logger.exception("The tills' catalog index could not be built")
        finally:
            os._exit(status)  # no cleanup of the parent's state; the lock goes with it
    handle.close()  # the child holds the lock until it ends

    def reap() -> None:
        _, status = os.waitpid(pid, 0)
        if status:
            logger.error("The tills' catalog index build ended with status %s", status)

    thread = threading.Thread(target=reap, name="kassa-till-index", daemon=True)
    till_index_builders.append(thread)
    thread.start()


_inherited: list[Any] = []


def close_inherited_listeners() -> None:
    """Close the listening sockets a forked child inherited (the server's port): a server
    restarted while the child builds must be able to listen on it again. Linux (/proc);
    elsewhere nothing is closed."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in descriptors:
        try:
            probe = socket.socket(fileno=fd)
        except OSError:
            continue  # not a socket, or closed since the listing
        try:
            listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        except OSError:
            listening = 0
        probe.detach()
        if listening:
            os.close(fd)


def till_index_build() -> TillIndexSnapshot:
    """Build the snapshot from the products as the pages send them. The version is read
    first: a change committed while the rows are read is in the delta since it."""
    version = catalog_version_current()

    def products() -> Iterator[dict[str, Any]]:
        after: int | None = 0
        while after is not None:
            page = catalog_products(since=None, after=after, limit=TILL_INDEX_PAGE)
            yield from page["products"]
            after = page["next_after"]

    data = tillindex.encode_index(index := tillindex.build_index(products()), version)
    return TillIndexSnapshot(
        version=version,
        count=index["count"],
        size=len(data),
        gzipped=gzip.compress(data, compresslevel=1),
    )


TILL_INDEX_PAGE = 25_000


def _fresh_enough(version: int) -> bool:
    """Whether at most TILL_INDEX_STALE products changed or went since `version`
    (counted in the version index, reading at most that many entries)."""
    if version == catalog_version_current():
        return True
    product = Product._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM "  # noqa: S608
            f"{product} p WHERE p.version > %s LIMIT %s) AS changed",
            [version, TILL_INDEX_STALE + 1],
        )
        changed: int = cursor.fetchone()[0]
    if changed > TILL_INDEX_STALE:
        return False
    gone = Tombstone.objects.filter(version__gt=version)[: TILL_INDEX_STALE + 1].count()
    return changed + gone <= TILL_INDEX_STALE


@contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time across this server's worker processes (a file lock in its data
    folder); another server sharing the cache may build its own, which is only work."""
    with _lock_path().open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_path() -> Path:
    """The file whose lock lets one build run at a time (blocking inline, skipped when
    taken in the background)."""
    return Path(settings.DATA_DIR) / "tillindex.lock"
