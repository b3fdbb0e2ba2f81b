"""The POS terminal's static files as the server (`/pos/`, kassa/server/terminal_views.py)
and the hardware proxy (`/pos/`, kassa/proxy/terminal_files.py) both serve them: no
framework here, so the proxy installs without Django.

The terminal is a handful of small files loaded on every start of a till, so each is kept
in memory after the first read (read again when it changes on disk), answered with a
strong ETag and revalidated by the browser (`no-cache`): a changed file is seen at once,
an unchanged one costs a 304. The service worker (sw.js) precaches them all for offline
use; it gets a version written into it, the hash of every terminal file, so any change of
the app installs a new service worker without anyone bumping a constant.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

# Types by suffix; anything else (licence texts) is plain text.
CONTENT_TYPES = {
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
PLAIN = "text/plain; charset=utf-8"
VERSION_PLACEHOLDER = b"__KASSA_TERMINAL_VERSION__"
SERVICE_WORKER = "sw.js"

# The terminal's Content-Security-Policy (docs/security.md): its own files only, no inline
# script or style element, no eval, no plugins, no framing. It talks to its own origin
# (the server, or the proxy serving it) and to a hardware proxy on the loopback, or
# wherever a terminal's proxy_url points (the server adds those origins).
LOOPBACK_SOURCES = ("http://127.0.0.1:*", "http://localhost:*")
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src {connect}; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def terminal_csp(origins: Iterable[str] = ()) -> str:
    """The policy, with `origins` allowed in `connect-src` besides its own and the loopback."""
    return _CSP.format(connect=" ".join(["'self'", *LOOPBACK_SOURCES, *origins]))


@dataclass(frozen=True, slots=True)
class TerminalFile:
    stamp: tuple[int, int]  # (mtime_ns, size) when read
    body: bytes
    etag: str
    content_type: str


class TerminalFiles:
    """The files under a terminal folder: `root` is the folder, or a function giving it
    (read at each call: the server's may be changed by its settings)."""

    def __init__(self, root: Path | Callable[[], Path]) -> None:
        self._root = root
        self._cache: dict[str, TerminalFile] = {}
        self._version: tuple[tuple[tuple[str, int, int], ...], str] | None = None
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        root = self._root() if callable(self._root) else self._root
        return root.resolve()

    def resolve(self, relative: str) -> Path | None:
        """The file under the terminal folder, or None: no traversal, no hidden files."""
        if not relative or "\\" in relative or "\x00" in relative:
            return None
        parts = relative.split("/")
        if any(part in {"", ".", ".."} or part.startswith(".") for part in parts):
            return None
        root = self.root
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def version(self) -> str:
        """A hash of every terminal file: it changes whenever any file of the app changes."""
        root = self.root
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
        current = self._version
        if current is not None and current[0] == key:
            return current[1]
        digest = hashlib.sha256()
        for relative, _, _ in listing:
            digest.update(relative.encode() + b"\x00")
            digest.update((root / relative).read_bytes() + b"\x00")
        version = digest.hexdigest()[:16]
        self._version = (key, version)
        return version

    def load(self, relative: str, path: Path) -> TerminalFile:
        """`path` (what `resolve(relative)` gave) as it is served."""
        stamp = _stamp(path)
        cached = self._cache.get(relative)
        if cached is not None and cached.stamp == stamp and relative != SERVICE_WORKER:
            return cached
        body = path.read_bytes()
        if relative == SERVICE_WORKER:
            body = body.replace(VERSION_PLACEHOLDER, self.version().encode())
        content_type = CONTENT_TYPES.get(path.suffix.lower(), PLAIN)
        file = TerminalFile(stamp, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', content_type)
        with self._lock:
            self._cache[relative] = file
        return file


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size
