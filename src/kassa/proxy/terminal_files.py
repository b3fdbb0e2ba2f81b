"""The terminal's files at `/pos/`, from the installed `kassa` package (kassa/terminal).

Why the package and not a copy cached from the server (docs/proxy.md, "The terminal's
files"): the files are on the PC from the moment the proxy is installed, so a till starts
after a power cut with the server down, without a first visit to fill a cache; there is no
cache to keep coherent; and serving them is a memory read (measured in docs/performance.md).
The proxy and the server are one package: upgrade both to the same release.

Read, cached and versioned as the server does (kassa/terminal_files.py, shared by both).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kassa import terminal_files
from kassa.terminal_files import SERVICE_WORKER

# Served here, the server's API and the proxy's are this same origin; a proxy_url
# elsewhere on the loopback stays reachable.
TERMINAL_CSP = terminal_files.terminal_csp()


def package_terminal_dir() -> Path:
    return Path(str(resources.files("kassa") / "terminal")).resolve()


class TerminalFiles(terminal_files.TerminalFiles):
    def __init__(self, root: Path | None = None) -> None:
        super().__init__((root or package_terminal_dir()).resolve())

    @property
    def installed(self) -> bool:
        return (self.root / "index.html").is_file()

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
