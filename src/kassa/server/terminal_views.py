"""Serves the POS terminal's static web app at /pos/ (the files live in kassa/terminal, or
in the folder KASSA_TERMINAL_DIR names: a test and development aid, see settings.py).

The terminal is a handful of small files loaded on every start of a till, so they are
kept in memory after the first read (re-read when the file changes on disk), answered
with a strong ETag, and revalidated by the browser (`no-cache`): a changed file is seen at
once, an unchanged one costs a 304. The service worker (sw.js) precaches them all for
offline use; the server writes a version into it, the hash of every terminal file, so any
change of the app installs a new service worker without anyone bumping a constant.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound

from kassa.server.terminals.models import Terminal

# Types by suffix; anything else (licence texts) is plain text.
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".md": "text/markdown; charset=utf-8",
}
_PLAIN = "text/plain; charset=utf-8"
VERSION_PLACEHOLDER = b"__KASSA_TERMINAL_VERSION__"
SERVICE_WORKER = "sw.js"


@dataclass(frozen=True)
class _File:
    stamp: tuple[int, int]  # (mtime_ns, size) when read
    body: bytes
    etag: str
    content_type: str


_cache: dict[str, _File] = {}
_version: tuple[tuple[tuple[str, int, int], ...], str] | None = None
_lock = threading.Lock()


def _terminal_dir() -> Path:
    return Path(settings.TERMINAL_DIR).resolve()


def _resolve(relative: str) -> Path | None:
    """The file under the terminal folder, or None: no traversal, no hidden files."""
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    parts = relative.split("/")
    if any(part in {"", ".", ".."} or part.startswith(".") for part in parts):
        return None
    root = _terminal_dir()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def terminal_version() -> str:
    """A hash of every terminal file: it changes whenever any file of the app changes."""
    global _version
    root = _terminal_dir()
    listing = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            mtime, size = _stamp(path)
            listing.append((path.relative_to(root).as_posix(), mtime, size))
    key = tuple(listing)
    current = _version
    if current is not None and current[0] == key:
        return current[1]
    digest = hashlib.sha256()
    for relative, _, _ in listing:
        digest.update(relative.encode() + b"\x00")
        digest.update((root / relative).read_bytes() + b"\x00")
    version = digest.hexdigest()[:16]
    _version = (key, version)
    return version


def _load(relative: str, path: Path) -> _File:
    stamp = _stamp(path)
    cached = _cache.get(relative)
    if cached is not None and cached.stamp == stamp and relative != SERVICE_WORKER:
        return cached
    body = path.read_bytes()
    if relative == SERVICE_WORKER:
        body = body.replace(VERSION_PLACEHOLDER, terminal_version().encode())
    content_type = _CONTENT_TYPES.get(path.suffix.lower(), _PLAIN)
    file = _File(stamp, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', content_type)
    with _lock:
        _cache[relative] = file
    return file


# The terminal's Content-Security-Policy: its own files only, no inline script or style
# element, no eval, no plugins, no framing. It talks to this server and to its hardware
# proxy, on the loopback or wherever a terminal's proxy_url points (docs/security.md).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src {connect}; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_NETLOC = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?")
# CSP's grammar has no IPv6 literal: a proxy on [::1] is reached as localhost instead.
_LOOPBACK = ("http://127.0.0.1:*", "http://localhost:*")


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    # Only what a source expression may hold: nothing that could end the directive.
    if parts.scheme not in {"http", "https"} or not _NETLOC.fullmatch(parts.netloc):
        return None
    loopback = f"{parts.scheme}://{parts.hostname}:*"
    return loopback if loopback in _LOOPBACK else f"{parts.scheme}://{parts.netloc}"


def terminal_csp() -> str:
    """The policy, with the proxy origin of every active terminal in `connect-src`."""
    urls = Terminal.objects.filter(active=True).values_list("proxy_url", flat=True).distinct()
    origins = sorted({o for url in urls if (o := _origin(url)) is not None and o not in _LOOPBACK})
    return _CSP.format(connect=" ".join(["'self'", *_LOOPBACK, *origins]))


def terminal_app(request: HttpRequest, path: str = "index.html") -> HttpResponse:
    """GET /pos/ (the app) and /pos/<path> (its files)."""
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    found = _resolve(path)
    if found is None:
        return HttpResponseNotFound(
            "Not found." if path != "index.html" else "The terminal is not installed.",
            content_type=_PLAIN,
        )
    file = _load(path, found)
    if request.headers.get("If-None-Match") == file.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(file.body if request.method == "GET" else b"")
        response["Content-Type"] = file.content_type
        response["Content-Length"] = str(len(file.body))
    response["ETag"] = file.etag
    # Revalidate every time: the names carry no version, the service worker does the caching.
    response["Cache-Control"] = "no-cache"
    if path == SERVICE_WORKER:
        response["Service-Worker-Allowed"] = "/pos/"
    if file.content_type.startswith("text/html") or path == SERVICE_WORKER:
        # The page's policy governs its modules and styles; the worker has its own.
        response["Content-Security-Policy"] = terminal_csp()
    return response
