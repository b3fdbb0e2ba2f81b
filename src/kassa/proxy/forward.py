"""The server's terminal API through the proxy: `/api/v1/…` forwarded unchanged.

The terminal the proxy serves at `/pos/` calls `/api/v1/…` on its own origin; the proxy
sends each call to the main server (`server_url`) and streams the answer back:

- only `/api/v1/` is forwarded (not the admin, not `/pos/`, nothing else of the server);
- the till's `Authorization` (its device token) goes through as it came; cookies never do,
  and the proxy adds no credential of its own;
- bodies stream both ways without being held whole: the gzip catalog page of 100,000
  products and an order batch at the server's size limit pass as they are;
- a server that cannot be reached answers at once `503 {"error": {"code":
  "server_unreachable"}}`, which the terminal takes as "offline" (sync/api.js); the connect
  timeout is short (`server_connect_timeout`, 3 s) so a till never waits long for it.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from kassa.proxy.errors import error_body
from kassa.proxy.settings import Settings

log = logging.getLogger("kassa.proxy.forward")
# httpcore reads a server's answer 64 KiB at a time; a read of up to 1 MiB takes whatever
# the socket holds, so a catalog page of several MB crosses the proxy in fewer turns of the
# event loop (about 13 instead of 15 ms of the proxy's CPU for 5 MB, bench/proxy_forward.py).
READ_BYTES = 1024 * 1024

# What a terminal's request may carry to the server, and what of the answer comes back.
# Everything else (cookies, Origin, the browser's other headers) stays here.
REQUEST_HEADERS = (
    "accept",
    "accept-encoding",
    "authorization",
    "content-encoding",
    "content-length",
    "content-type",
    "if-none-match",
    "if-modified-since",
    "idempotency-key",
)
RESPONSE_HEADERS = (
    "cache-control",
    "content-encoding",
    "content-length",
    "content-type",
    "etag",
    "last-modified",
    "retry-after",
    "vary",
    "www-authenticate",
)


def _unreachable(message: str) -> JSONResponse:
    return JSONResponse(
        error_body("server_unreachable", message),
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "5"},
    )


class Forwarder:
    """One HTTP client, with its connection pool, for the proxy's life."""

    def __init__(self, settings: Settings) -> None:
        from httpcore._async.http11 import AsyncHTTP11Connection

        AsyncHTTP11Connection.READ_NUM_BYTES = READ_BYTES
        self.base = settings.server_url.rstrip("/")
        verify: ssl.SSLContext | bool = True
        if settings.server_ca_file is not None:
            verify = ssl.create_default_context(cafile=str(settings.server_ca_file))
        timeout = httpx.Timeout(
            connect=settings.file.server_connect_timeout,
            read=settings.file.server_read_timeout,
            write=settings.file.server_read_timeout,
            pool=settings.file.server_connect_timeout,
        )
        self.client = httpx.AsyncClient(
            timeout=timeout,
            verify=verify,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
            trust_env=False,  # a POS PC's HTTP_PROXY must not carry the till's traffic
        )

    @property
    def configured(self) -> bool:
        return bool(self.base)

    async def close(self) -> None:
        await self.client.aclose()

    async def forward(self, request: Request, path: str) -> Response:
        if not self.base:
            return JSONResponse(
                error_body(
                    "no_server",
                    "this proxy forwards to no server: set server_url (kassa proxy --server URL)",
                ),
                status_code=503,
            )
        url = f"{self.base}/api/v1/{path}"
        if request.url.query:
            url = f"{url}?{request.url.query}"
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() in REQUEST_HEADERS
        ]
        client = request.client
        if client is not None:
            headers.append(("x-forwarded-for", client.host))
        has_body = request.method not in {"GET", "HEAD"}

        async def body() -> AsyncIterator[bytes]:
            async for chunk in request.stream():
                if chunk:
                    yield chunk

        outgoing = self.client.build_request(
            request.method, url, headers=headers, content=body() if has_body else None
        )
        try:
            answer = await self.client.send(outgoing, stream=True)
        except httpx.TimeoutException:
            return _unreachable("the server did not answer in time")
        except httpx.TransportError as exc:
            log.info("server %s unreachable: %s", self.base, exc)
            return _unreachable(f"the server cannot be reached ({type(exc).__name__})")
        if 300 <= answer.status_code < 400:
            # A redirect leads out of /api/v1/ (a login page): not something to follow here.
            await answer.aclose()
            return _unreachable(f"the server answered {answer.status_code} (a redirect)")
        kept = {
            name: value
            for name, value in answer.headers.items()
            if name.lower() in RESPONSE_HEADERS
        }
        return StreamingResponse(
            _relay(answer),
            status_code=answer.status_code,
            headers=kept,
            background=BackgroundTask(answer.aclose),
        )


async def _relay(answer: httpx.Response) -> AsyncIterator[bytes]:
    """The server's bytes as they arrive, never decoded (a gzip page stays gzip)."""
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    except httpx.TransportError as exc:
        # The head is out already: cut the answer, the terminal sees a network error.
        log.warning("server answer broken off: %s", exc)
        raise
