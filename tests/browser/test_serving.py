"""The terminal's files served at /pos/ by the real server: types, caching, the service
worker's scope and version, and no way out of the terminal folder."""

from __future__ import annotations

import http.client
import re

import pytest

from .conftest import KassaServer

pytestmark = pytest.mark.browser


def get(
    server: KassaServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/pos/", "text/html; charset=utf-8"),
        ("/pos/app.js", "text/javascript; charset=utf-8"),
        ("/pos/vendor/preact.module.js", "text/javascript; charset=utf-8"),
        ("/pos/app.css", "text/css; charset=utf-8"),
        ("/pos/manifest.webmanifest", "application/manifest+json"),
        ("/pos/icon.svg", "image/svg+xml"),
        ("/pos/vendor/licenses/preact-LICENSE", "text/plain; charset=utf-8"),
    ],
)
def test_files_have_their_content_type_and_revalidate(
    module_server: KassaServer, path: str, content_type: str
) -> None:
    status, headers, body = get(module_server, path)
    assert status == 200
    assert headers["content-type"] == content_type
    assert headers["cache-control"] == "no-cache"
    assert body
    status, _, body = get(module_server, path, {"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")


def test_service_worker_scope_and_version(module_server: KassaServer) -> None:
    status, headers, body = get(module_server, "/pos/sw.js")
    assert status == 200
    assert headers["service-worker-allowed"] == "/pos/"
    match = re.search(rb'const VERSION = "([0-9a-f]{16})";', body)
    assert match, "the server writes the version into the worker"


@pytest.mark.parametrize(
    "path",
    [
        "/pos/missing.js",
        "/pos/%2e%2e/server/settings.py",
        "/pos/..%2fserver%2fsettings.py",
        "/pos/vendor/../../server/settings.py",
        "/pos/vendor/",
        "/pos/.hidden",
        "/pos/%00",
    ],
)
def test_missing_and_outside_files_are_plain_404(module_server: KassaServer, path: str) -> None:
    status, headers, body = get(module_server, path)
    assert status == 404
    assert not headers["content-type"].startswith("application/json")
    assert b"SECRET" not in body and b"import" not in body
