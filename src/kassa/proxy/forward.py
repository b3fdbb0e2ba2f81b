"""The server's terminal API through the proxy: `/api/v1/…` forwarded unchanged.

The terminal the proxy serves at `/pos/` calls `/api/v1/…` on its own origin; the proxy
sends each call to the main server (`server_url`) and streams the answer back:

- only `/api/v1/` is forwarded (not the admin, not `/pos/`, nothing else of the server),
  and a path with a `.` or `..` segment is refused, so nothing climbs out of it;
- the till's `Authorization` (its device token) goes through as it came; cookies never do,
  and the proxy adds no credential of its own;
- bodies stream both ways without being held whole: the gzip catalog page of 100,000
  products and an order batch at the server's size limit pass as they are, a piece at a
  time, each piece sent on before the next is read (a slow till slows the server's
  reading, it never fills the proxy's memory);
- a server that cannot be reached answers at once `503 {"error": {"code":
  "server_unreachable"}}`, which the terminal takes as "offline" (sync/api.js); the connect
  timeout is short (`server_connect_timeout`, 3 s) so a till never waits long for it.

It is a small HTTP/1.1 client of its own on asyncio (`_Upstream`, an `asyncio.BufferedProtocol`
with httptools' parser, which uvicorn already uses) rather than httpx: the server's answer is
received into one buffer, parsed in place and handed to the till's socket, with no layer in
between that copies, decodes or schedules it again. For the catalog page that halves what
the proxy adds to a download (docs/performance.md, "The till through its proxy"). The
answer is never decoded: a gzip page stays gzip. Connections the server keeps alive are
kept for the next call (`_Pool`); Kassa's own server (gunicorn's sync workers) closes each.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

from kassa.proxy.errors import send_error
from kassa.proxy.settings import Settings

log = logging.getLogger("kassa.proxy.forward")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# One receive buffer per connection: a read takes whatever the socket holds, up to this, so
# a catalog page of several MB crosses the proxy in a few turns of the event loop.
READ_BYTES = 1024 * 1024
# Stop reading the server while this much of its answer waits for the till's socket.
PAUSE_BYTES = 2 * READ_BYTES
MAX_HEAD_BYTES = 64 * 1024
# Connections kept open for the next call when the server allows it, and for how long.
POOL_SIZE = 8
POOL_IDLE_SECONDS = 30.0

SERVER_API = "/api/v1/"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})

# What a terminal's request may carry to the server, and what of the answer comes back.
# Everything else (cookies, Origin, the browser's other headers) stays here.
REQUEST_HEADERS = frozenset(
    name.encode()
    for name in (
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
)
RESPONSE_HEADERS = frozenset(
    name.encode()
    for name in (
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
)


class ServerUnreachable(Exception):
    """Nothing of an answer came: refused, timed out, closed, or not HTTP."""


class _Stale(Exception):
    """A kept connection was closed by the server before any byte of the answer."""


class _Upstream(asyncio.BufferedProtocol):
    """One connection to the server, one request and its answer at a time.

    The event loop receives into `buffer` and the parser runs over it where it lies; the
    answer's body pieces wait in `chunks` until `Forwarder` sends them to the till. Reading
    pauses while more than PAUSE_BYTES wait, so a slow till holds the server back instead of
    filling memory."""

    def __init__(self, buffers: list[memoryview]) -> None:
        self.transport: asyncio.Transport | None = None
        # Receive buffers outlive their connections: Kassa's server closes each one, and a
        # new MiB to clear for every call costs more than the call's own work.
        self.buffers = buffers
        self.buffer = buffers.pop() if buffers else memoryview(bytearray(READ_BYTES))
        self.lost = False
        self.idle_since = 0.0
        self.reused = False
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False
        self.exchange = 0
        self._begin(head_only=False)
        self.parser: httptools.HttpResponseParser | None = None

    # -- one exchange ------------------------------------------------------------------
    def _begin(self, *, head_only: bool) -> None:
        self.head_only = head_only
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.until_eof = False
        self.received = 0
        self.chunks: list[bytes] = []
        self.queued = 0
        self.failure: BaseException | None = None
        self.abandoned = False

    def begin(self, *, head_only: bool) -> None:
        self.exchange += 1
        self._begin(head_only=head_only)
        self.parser = httptools.HttpResponseParser(self)

    @property
    def ready(self) -> bool:
        return bool(self.chunks) or self.complete or self.failure is not None or self.abandoned

    async def wait(self, timeout: float) -> None:
        """Until there is something to send, the answer is complete, or it failed."""
        if self.ready:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._waiter
        finally:
            self._waiter = None

    def take(self) -> list[bytes]:
        chunks, self.chunks, self.queued = self.chunks, [], 0
        if self._read_paused and self.transport is not None and not self.lost:
            self._read_paused = False
            self.transport.resume_reading()
        return chunks

    def abandon(self, exchange: int) -> None:
        """The till of that exchange went away: stop waiting (the connection is not reused).

        A no-op once the connection serves the next exchange: the callback that calls it
        may run after its own exchange has ended."""
        if exchange == self.exchange:
            self.abandoned = True
            self._wake()

    def write(self, data: bytes | memoryview) -> None:
        assert self.transport is not None
        self.transport.write(data)

    async def drain(self, timeout: float) -> None:
        if self.lost:
            raise ConnectionResetError("the server closed the connection")
        if not self._write_paused:
            return
        self._drained = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._drained
        finally:
            self._drained = None
        if self.lost:
            raise ConnectionResetError("the server closed the connection")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.lost = True

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- asyncio protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self.parser is None or self.complete:
            # Bytes nobody asked for (an idle connection, or past the answer's end):
            # whatever they are, this connection is not used again.
            self.failure = self.failure or ServerUnreachable("the server sent unexpected data")
            self.close()
            self._wake()
            return
        self.received += nbytes
        try:
            self.parser.feed_data(self.buffer[:nbytes])
        except httptools.HttpParserError as exc:
            self.failure = ServerUnreachable(f"the server's answer is not HTTP ({exc})")
            self.close()
        if not self.head_done and self.received > MAX_HEAD_BYTES:
            self.failure = ServerUnreachable("the server's answer head is too large")
            self.close()
        if self.queued >= PAUSE_BYTES and not self._read_paused and not self.lost:
            self._read_paused = True
            assert self.transport is not None
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        if self.head_done and self.until_eof and not self.complete:
            self.complete = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if len(self.buffers) < POOL_SIZE:
            self.buffers.append(self.buffer)  # the parser copied what it kept of it
        if not self.complete and self.failure is None and self.parser is not None:
            self.failure = exc or ConnectionResetError("the server closed the connection")
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # -- httptools callbacks -----------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            self.headers = []  # 103 Early Hints and the like: the answer follows
            return
        self.status = status
        self.head_done = True
        self.keep_alive = self.parser.should_keep_alive()
        names = {name for name, _ in self.headers}
        framed = b"content-length" in names or b"transfer-encoding" in names
        self.until_eof = not framed and status not in (204, 304)
        if self.head_only:
            # A HEAD's answer has no body whatever its Content-Length says; the parser
            # cannot be told, so the connection ends with it.
            self.complete = True
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        if self.head_only:
            return
        self.chunks.append(body)
        self.queued += len(body)

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True


class _Pool:
    """Connections the server kept alive, newest first, dropped after POOL_IDLE_SECONDS."""

    def __init__(self) -> None:
        self.idle: list[_Upstream] = []

    def get(self) -> _Upstream | None:
        now = time.monotonic()
        while self.idle:
            upstream = self.idle.pop()
            if not upstream.lost and now - upstream.idle_since < POOL_IDLE_SECONDS:
                upstream.reused = True
                return upstream
            upstream.close()
        return None

    def put(self, upstream: _Upstream) -> None:
        upstream.parser = None
        upstream.idle_since = time.monotonic()
        self.idle.append(upstream)
        while len(self.idle) > POOL_SIZE:
            self.idle.pop(0).close()

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


async def _answer(
    send: Send, status: int, code: str, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """One of the proxy's own JSON errors (the guard adds the API's headers to it)."""
    await send_error(send, status, code, message, extra or [])


async def _unreachable(send: Send, message: str) -> None:
    await _answer(
        send,
        503,
        "server_unreachable",
        message,
        [(b"cache-control", b"no-store"), (b"retry-after", b"5")],
    )


def _climbs(path: str) -> bool:
    """A `.` or `..` segment (the path as decoded: `%2e%2e` is one too), or a backslash."""
    return "\\" in path or any(part in {".", ".."} for part in path.split("/"))


class Forwarder:
    """The ASGI app for `/api/v1/…`: each call to the server and its answer back."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.server_url.rstrip("/")
        self.connect_timeout = settings.file.server_connect_timeout
        self.read_timeout = settings.file.server_read_timeout
        self.ssl: ssl.SSLContext | None = None
        self.host = ""
        self.port = 0
        self.prefix = b""
        self.host_header = b""
        self.pool = _Pool()
        self.buffers: list[memoryview] = []
        if not self.base:
            return
        parts = urlsplit(self.base)
        secure = parts.scheme == "https"
        if secure:
            self.ssl = ssl.create_default_context(
                cafile=None if settings.server_ca_file is None else str(settings.server_ca_file)
            )
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if secure else 80)
        self.prefix = parts.path.rstrip("/").encode()
        self.host_header = parts.netloc.encode("idna")

    @property
    def configured(self) -> bool:
        return bool(self.base)

    async def close(self) -> None:
        self.pool.close()

    async def _connect(self) -> _Upstream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, upstream = await loop.create_connection(
                    lambda: _Upstream(self.buffers),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                )
        except TimeoutError:
            raise ServerUnreachable("the server did not answer in time") from None
        except (OSError, ssl.SSLError) as exc:
            log.info("server %s unreachable: %s", self.base, exc)
            raise ServerUnreachable(
                f"the server cannot be reached ({type(exc).__name__})"
            ) from None
        return upstream

    def _head(self, scope: Scope, has_body: bool) -> bytes:
        method = scope["method"].encode()
        target = self.prefix + scope.get("raw_path", scope["path"].encode())
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        lines = [b"%s %s HTTP/1.1\r\nhost: %s\r\n" % (method, target, self.host_header)]
        length = False
        for name, value in scope["headers"]:
            if name in REQUEST_HEADERS:
                lines.append(b"%s: %s\r\n" % (name, value))
                length = length or name == b"content-length"
        if has_body and not length:
            lines.append(b"content-length: 0\r\n")
        client = scope.get("client")
        if client:
            lines.append(b"x-forwarded-for: %s\r\n" % str(client[0]).encode("latin-1"))
        lines.append(b"\r\n")
        return b"".join(lines)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.base:
            await _answer(
                send,
                503,
                "no_server",
                "this proxy forwards to no server: set server_url (kassa proxy --server URL)",
            )
            return
        method = scope["method"]
        if method not in METHODS:
            await _answer(
                send,
                405,
                "method_not_allowed",
                "Method Not Allowed",
                [(b"allow", b", ".join(m.encode() for m in sorted(METHODS)))],
            )
            return
        if _climbs(scope["path"]):
            await _answer(send, 404, "not_found", "Not Found")
            return
        has_body = method not in {"GET", "HEAD"}
        declared = any(name == b"content-length" for name, _ in scope["headers"])
        first = b""
        more = False
        if has_body or declared:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            first, more = message.get("body", b""), message.get("more_body", False)
        head = self._head(scope, has_body)

        upstream = self.pool.get()
        try:
            if upstream is None:
                upstream = await self._connect()
            upstream.begin(head_only=method == "HEAD")
            upstream.write(head + first if first else head)
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    upstream.close()
                    return
                more = message.get("more_body", False)
                if message.get("body"):
                    upstream.write(message["body"])
                    await upstream.drain(self.read_timeout)
            try:
                await self._head_of_answer(upstream)
            except _Stale:
                if has_body:
                    # its body went into the closed connection and is not here any more
                    raise ServerUnreachable("the server closed the connection") from None
                # A kept connection that the server closed as it was reused: once more on
                # a new one.
                upstream = await self._connect()
                upstream.begin(head_only=method == "HEAD")
                upstream.write(head)
                await self._head_of_answer(upstream)
        except (ServerUnreachable, TimeoutError, OSError) as exc:
            if upstream is not None:
                upstream.close()
            await _unreachable(send, _why(exc))
            return
        await self._relay(upstream, receive, send)

    async def _head_of_answer(self, upstream: _Upstream) -> None:
        """Until the answer's status and headers are in; ServerUnreachable if they never come."""
        while not upstream.head_done:
            if upstream.abandoned:
                upstream.close()
                raise ServerUnreachable("the till went away")
            if upstream.failure is not None:
                upstream.close()
                if upstream.reused and upstream.received == 0:
                    raise _Stale
                raise ServerUnreachable(_why(upstream.failure))
            try:
                await upstream.wait(self.read_timeout)
            except TimeoutError:
                raise ServerUnreachable("the server did not answer in time") from None
        if 300 <= upstream.status < 400 and upstream.status != 304:
            # A redirect leads out of /api/v1/ (a login page): not something to follow here.
            raise ServerUnreachable(f"the server answered {upstream.status} (a redirect)")

    async def _relay(self, upstream: _Upstream, receive: Receive, send: Send) -> None:
        """The answer's head, then its body a piece at a time as it comes."""
        headers = [(name, value) for name, value in upstream.headers if name in RESPONSE_HEADERS]
        if upstream.status in (204, 304) or any(
            name == b"transfer-encoding" for name, _ in upstream.headers
        ):
            # no body, or a chunked one that uvicorn frames anew: no Content-Length
            headers = [(name, value) for name, value in headers if name != b"content-length"]
        await send({"type": "http.response.start", "status": upstream.status, "headers": headers})

        # The till may go away while the server still sends: then stop.
        watcher = asyncio.ensure_future(_until_gone(receive))
        exchange = upstream.exchange
        watcher.add_done_callback(lambda _: upstream.abandon(exchange))
        try:
            while True:
                chunks = upstream.take()
                complete = upstream.complete
                for index, chunk in enumerate(chunks):
                    last = complete and index == len(chunks) - 1
                    await send({"type": "http.response.body", "body": chunk, "more_body": not last})
                if complete:
                    if not chunks:
                        await send({"type": "http.response.body", "body": b""})
                    break
                if upstream.abandoned or upstream.failure is not None:
                    # The head is out already: cut the answer, the terminal sees a network
                    # error (uvicorn closes the connection of an unfinished answer).
                    if upstream.failure is not None and not upstream.abandoned:
                        log.warning("server answer broken off: %s", _why(upstream.failure))
                    upstream.close()
                    return
                try:
                    await upstream.wait(self.read_timeout)
                except TimeoutError:
                    log.warning("server answer broken off: no byte for %s s", self.read_timeout)
                    upstream.close()
                    return
        finally:
            if not watcher.done():
                watcher.cancel()
        if upstream.keep_alive and not upstream.lost and upstream.failure is None:
            self.pool.put(upstream)
        else:
            upstream.close()


async def _until_gone(receive: Receive) -> None:
    """Returns when the till has gone (or the answer is complete: uvicorn says so too)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _why(exc: BaseException) -> str:
    if isinstance(exc, ServerUnreachable):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time"
    return f"the server cannot be reached ({type(exc).__name__})"
