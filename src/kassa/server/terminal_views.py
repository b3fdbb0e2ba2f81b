"""Serves the POS terminal's static web app at /pos/ (the files live in kassa/terminal, or
in the folder KASSA_TERMINAL_DIR names: a test and development aid, see settings.py).

Read, cached, versioned and given their policy as kassa/terminal_files.py says (the
hardware proxy serves them the same way); here the policy also lets the page reach the
proxy_url of every active terminal.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound

from kassa import terminal_files
from kassa.server.terminals.models import Terminal
from kassa.terminal_files import LOOPBACK_SOURCES, PLAIN, SERVICE_WORKER, TerminalFiles

_files = TerminalFiles(lambda: Path(settings.TERMINAL_DIR))
terminal_version = _files.version

_NETLOC = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?")
# CSP's grammar has no IPv6 literal: a proxy on [::1] is reached as localhost instead.
_LOOPBACK = LOOPBACK_SOURCES


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
    return terminal_files.terminal_csp(origins)


def terminal_app(request: HttpRequest, path: str = "index.html") -> HttpResponse:
    """GET /pos/ (the app) and /pos/<path> (its files)."""
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    found = _files.resolve(path)
    if found is None:
        return HttpResponseNotFound(
            "Not found." if path != "index.html" else "The terminal is not installed.",
            content_type=PLAIN,
        )
    file = _files.load(path, found)
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
