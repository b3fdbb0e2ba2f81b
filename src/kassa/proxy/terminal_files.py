"""The terminal's files at `/pos/`, from the installed `kassa` package (kassa/terminal).

Why the package and not a copy cached from the server (docs/proxy.md, "The terminal's
files"): the files are on the PC from the moment the proxy is installed, so a till starts
after a power cut with the server down, without a first visit to fill a cache; there is no
cache to keep coherent; and serving them is a memory read (measured in docs/performance.md).
The proxy and the server are one package: upgrade both to the same release.

As the server does (kassa/server/terminal_views.py): each file is read once and kept
while it is unchanged on disk, answered with a strong ETag and `no-cache`, and the service
worker gets the version, a hash of every file, so any change installs a new worker.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

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
# The terminal's Content-Security-Policy, as the server sends it (docs/security.md): its own
# files only, no inline script or style element, no eval, no framing. Served here, the
# server's API and the proxy's are this same origin; a proxy_url elsewhere on the loopback
# stays reachable.
TERMINAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self' http://127.0.0.1:* http://localhost:*; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
VERSION_PLACEHOLDER = b"__KASSA_TERMINAL_VERSION__"
SERVICE_WORKER = "sw.js"


def package_terminal_dir() -> Path:
    return Path(str(resources.files("kassa") / "terminal")).resolve()


@dataclass(frozen=True, slots=True)
class _File:
    stamp: tuple[int, int]
    body: bytes
    etag: str
    content_type: str


class TerminalFiles:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or package_terminal_dir()).resolve()
        self._cache: dict[str, _File] = {}
        self._version: tuple[tuple[tuple[str, int, int], ...], str] | None = None
        self._lock = threading.Lock()

    @property
    def installed(self) -> bool:
        return (self.root / "index.html").is_file()

    def resolve(self, relative: str) -> Path | None:
        """The file under the terminal folder, or None: no traversal, no hidden files."""
        if not relative or "\\" in relative or "\x00" in relative:
            return None
        parts = relative.split("/")
        if any(part in {"", ".", ".."} or part.startswith(".") for part in parts):
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def version(self) -> str:
        """A hash of every terminal file: it changes whenever any file of the app changes."""
        listing = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                stat = Path(folder, name).stat()
                relative = Path(folder, name).relative_to(self.root).as_posix()
                listing.append((relative, stat.st_mtime_ns, stat.st_size))
        key = tuple(listing)
        current = self._version
        if current is not None and current[0] == key:
            return current[1]
        digest = hashlib.sha256()
        for relative, _, _ in listing:
            digest.update(relative.encode() + b"\x00")
            digest.update((self.root / relative).read_bytes() + b"\x00")
        version = digest.hexdigest()[:16]
        self._version = (key, version)
        return version

    def load(self, relative: str, path: Path) -> _File:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(relative)
        if cached is not None and cached.stamp == stamp and relative != SERVICE_WORKER:
            return cached
        body = path.read_bytes()
        if relative == SERVICE_WORKER:
            body = body.replace(VERSION_PLACEHOLDER, self.version().encode())
        content_type = CONTENT_TYPES.get(path.suffix.lower(), PLAIN)
        file = _File(stamp, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', content_type)
        with self._lock:
            self._cache[relative] = file
        return file

    def respond(self, request: Request, relative: str) -> Response:
        if request.method not in {"GET", "HEAD"}:
            return PlainTextResponse("Method not allowed.", status_code=405)
        found = self.resolve(relative)
        if found is None:
            text = "The terminal is not installed." if relative == "index.html" else "Not found."
            return PlainTextResponse(text, status_code=404)
        file = self.load(relative, found)
        headers = {"ETag": file.etag, "Cache-Control": "no-cache"}
        if relative == SERVICE_WORKER:
            headers["Service-Worker-Allowed"] = "/pos/"
        if file.content_type.startswith("text/html") or relative == SERVICE_WORKER:
            headers["Content-Security-Policy"] = TERMINAL_CSP
        headers["X-Content-Type-Options"] = "nosniff"
        if request.headers.get("if-none-match") == file.etag:
            return Response(status_code=304, headers=headers)
        body = file.body if request.method == "GET" else b""
        headers["Content-Length"] = str(len(file.body))
        return Response(body, media_type=file.content_type, headers=headers)
