"""The proxy's HTTP application: `create_app(settings)` returns a FastAPI (ASGI) app.

    from kassa.proxy.app import create_app
    from kassa.proxy.settings import load_settings
    app = create_app(load_settings("proxy.toml"))

Run it with `kassa.proxy.server.ProxyServer` (uvicorn, in-process or in a thread) or with
`kassa proxy --config FILE`. The API is described in docs/proxy.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa import __version__
from kassa.jcs import MAX_SAFE_INTEGER
from kassa.proxy.errors import DeviceNotConfigured, Forbidden, NotFound, ProxyError, error_body
from kassa.proxy.forward import Forwarder
from kassa.proxy.hardware import Hardware
from kassa.proxy.journal_mirror import WireEntry
from kassa.proxy.page import status_page
from kassa.proxy.schemas import (
    DisplayRequest,
    DrawerOpenRequest,
    JournalAppendRequest,
    PairRequest,
    PrintReceiptRequest,
    ScanRequest,
    VirtualFaultRequest,
)
from kassa.proxy.security import (
    PROXY_API,
    SERVER_API,
    GuardMiddleware,
    Principal,
    Security,
    bearer_token,
)
from kassa.proxy.settings import Settings
from kassa.proxy.terminal_files import TerminalFiles

log = logging.getLogger("kassa.proxy")
HEARTBEAT_SECONDS = 15.0


def _hardware(request: Request) -> Hardware:
    hardware: Hardware = request.app.state.hardware
    return hardware


def _security(request: Request) -> Security:
    security: Security = request.app.state.security
    return security


def require_token(request: Request) -> Principal:
    token = bearer_token(request.headers.get("authorization"))
    return _security(request).authenticate(token, request.state.origin)


Authorized = Annotated[Principal, Depends(require_token)]
HardwareDep = Annotated[Hardware, Depends(_hardware)]


def _source(principal: Principal) -> str:
    return "local admin" if principal.admin else f"terminal {principal.origin or '(no origin)'}"


# Every endpoint is `async`: the service, its event bus and its wake-up event belong to the
# event loop's thread; blocking device calls go to worker threads inside the service.
router = APIRouter(prefix=PROXY_API)


@router.post("/pair")
async def pair(body: PairRequest, request: Request) -> dict[str, str]:
    """Exchange the one-time pairing code for a token; the origin becomes allowed."""
    token = _security(request).pair(
        body.code,
        request.state.origin,
        label=body.label,
        same_origin=bool(getattr(request.state, "same_origin", False)),
    )
    return {"token": token}


def _admin(principal: Principal) -> None:
    if not principal.admin:
        raise Forbidden("only the status page and kassa proxy may do this", code="admin_only")


@router.get("/pairings")
async def pairings(request: Request, principal: Authorized) -> list[dict[str, Any]]:
    """The terminals paired with this proxy (the status page lists them)."""
    _admin(principal)
    return [pairing.as_dict() for pairing in _security(request).store.pairings()]


@router.post("/pairings/{pairing_id}/revoke")
async def pairing_revoke(pairing_id: str, request: Request, principal: Authorized) -> Any:
    """Revoke a pairing: that terminal's token is refused from now on."""
    _admin(principal)
    return _security(request).revoke(pairing_id)


@router.get("/status")
async def status(hardware: HardwareDep, refresh: bool = False) -> dict[str, Any]:
    """Device states. No token needed; a foreign origin is refused by the guard anyway."""
    if refresh:
        await hardware.refresh_printer_status()
    return hardware.status()


@router.post("/print/receipt")
async def print_receipt(
    body: PrintReceiptRequest, hardware: HardwareDep, _: Authorized
) -> JSONResponse:
    job, created = hardware.print_receipt(
        key=body.key, document=body.receipt, open_drawer=body.open_drawer, reprint=body.reprint
    )
    content = {"job_id": job.id, "state": job.state, "fault": job.fault, "duplicate": not created}
    return JSONResponse(content, status_code=202 if created else 200)


@router.post("/print/test", status_code=202)
async def print_test(hardware: HardwareDep, _: Authorized) -> dict[str, Any]:
    job = hardware.print_test()
    return {"job_id": job.id, "state": job.state, "fault": job.fault}


@router.get("/jobs")
async def jobs(
    hardware: HardwareDep, _: Authorized, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[dict[str, Any]]:
    store = hardware.store
    return [job.as_dict() for job in store.jobs_recent(limit)] if store else []


@router.get("/jobs/{job_id}")
async def job(job_id: str, hardware: HardwareDep, _: Authorized) -> dict[str, Any]:
    return hardware.job(job_id).as_dict()


@router.post("/drawer/open")
async def drawer_open(
    body: DrawerOpenRequest, hardware: HardwareDep, principal: Authorized
) -> dict[str, Any]:
    return await hardware.open_drawer(reason=body.reason, source=_source(principal))


@router.get("/drawer/openings")
async def drawer_openings(
    hardware: HardwareDep, _: Authorized, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    return hardware.store.drawer_openings(limit) if hardware.store else []


@router.post("/display")
async def display(body: DisplayRequest, hardware: HardwareDep, _: Authorized) -> dict[str, Any]:
    """Show the terminal's lines (it formats every amount); fitted to the display."""
    return {"lines": await hardware.display_show(body.lines)}


@router.post("/display/welcome")
async def display_welcome(hardware: HardwareDep, _: Authorized) -> dict[str, Any]:
    return {"lines": await hardware.display_welcome()}


@router.post("/display/clear")
async def display_clear(hardware: HardwareDep, _: Authorized) -> dict[str, Any]:
    return {"lines": await hardware.display_clear()}


@router.get("/events")
async def events(
    request: Request,
    hardware: HardwareDep,
    token: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events. EventSource cannot send headers: the token may be a query parameter."""
    given = token or bearer_token(request.headers.get("authorization"))
    _security(request).authenticate(given, request.state.origin)
    last_id = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    start = last_id if last_id is not None else hardware.bus.last_id
    queue = hardware.bus.subscribe(last_id)

    async def stream() -> AsyncIterator[bytes]:
        try:
            # `retry` makes EventSource reconnect after 1 s; the first id tells the client
            # where the stream starts, so a reconnect resumes without duplicates.
            yield f"retry: 1000\nid: {start}\n\n".encode()
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if event is None:
                    return
                yield event.sse()
        finally:
            hardware.bus.unsubscribe(queue)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


# -- journal mirror -------------------------------------------------------------------------
# SQLite with synchronous=FULL waits for the disk: the mirror's calls go to a worker thread.
@router.post("/journal")
async def journal_append(
    body: JournalAppendRequest, hardware: HardwareDep, _: Authorized
) -> dict[str, int]:
    """Keep the terminal's entries; durable (fsync'd) when the answer goes out."""
    entries = [WireEntry(**entry.model_dump()) for entry in body.entries]
    _terminal, last_seq = await asyncio.to_thread(hardware.journal_mirror().append, entries)
    return {"last_seq": last_seq}


@router.get("/journal")
async def journal_read(
    hardware: HardwareDep,
    _: Authorized,
    terminal: Annotated[str, Query(min_length=1, max_length=64)],
    # Bounded like a seq (docs/journal.md): 2^63 reached SQLite and failed with a 500.
    after: Annotated[int, Query(ge=0, le=MAX_SAFE_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    """A terminal's entries after `after`, in seq order, verbatim: a wiped till's recovery."""
    mirror = hardware.journal_mirror()
    entries, last_seq = await asyncio.to_thread(mirror.read, terminal, after=after, limit=limit)
    return {"entries": [entry.as_dict() for entry in entries], "last_seq": last_seq}


@router.get("/journal/terminals")
async def journal_terminals(hardware: HardwareDep, _: Authorized) -> list[dict[str, Any]]:
    """Per terminal: entries held, last seq, last hash (the status page shows this)."""
    summary = await asyncio.to_thread(hardware.journal_mirror().summary)
    return [terminal.as_dict() for terminal in summary]


# -- virtual devices ------------------------------------------------------------------------
def _virtual_printer(hardware: Hardware) -> Any:
    if hardware.virtual_printer is None:
        raise DeviceNotConfigured("the printer is not virtual", code="not_virtual")
    return hardware.virtual_printer


@router.get("/virtual/receipts")
async def virtual_receipts(hardware: HardwareDep, _: Authorized) -> list[dict[str, Any]]:
    """The last receipts the virtual printer printed, newest first."""
    return [receipt.as_dict() for receipt in reversed(_virtual_printer(hardware).receipts)]


@router.get("/virtual/receipts/{number}.png")
async def virtual_receipt_png(
    number: Annotated[int, Path(ge=1, le=MAX_SAFE_INTEGER)], hardware: HardwareDep, _: Authorized
) -> Response:
    for receipt in _virtual_printer(hardware).receipts:
        if receipt.number == number:
            return Response(receipt.png(), media_type="image/png")
    raise NotFound(f"no virtual receipt {number}")


@router.post("/virtual/printer/faults")
async def virtual_faults(
    body: VirtualFaultRequest, hardware: HardwareDep, _: Authorized
) -> dict[str, Any]:
    """Inject printer faults (paper, cover, offline, silent) into the virtual printer."""
    printer = _virtual_printer(hardware)
    faults = printer.set_faults(**body.model_dump(exclude_none=True))
    await hardware.refresh_printer_status()
    hardware.wake()
    return {
        "paper": faults.paper,
        "cover_open": faults.cover_open,
        "offline": faults.offline,
        "no_answer": faults.no_answer,
    }


@router.post("/virtual/drawer/close")
async def virtual_drawer_close(hardware: HardwareDep, _: Authorized) -> dict[str, str]:
    _virtual_printer(hardware).close_drawer()
    await hardware.refresh_printer_status()
    return {"state": "closed"}


@router.get("/virtual/display")
async def virtual_display(hardware: HardwareDep, _: Authorized) -> dict[str, Any]:
    transport = hardware.virtual_display
    if transport is None:
        raise DeviceNotConfigured("the display is not virtual", code="not_virtual")
    emulator = transport.emulator
    return {"lines": list(emulator.frame), "size": [emulator.rows, emulator.columns]}


@router.post("/virtual/scan")
async def virtual_scan(body: ScanRequest, hardware: HardwareDep, _: Authorized) -> dict[str, str]:
    hardware.scan(body.code)
    return {"code": body.code}


# -- application ------------------------------------------------------------------------------
def _validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return JSONResponse(
            error_body("invalid_json", "the body is not valid JSON"), status_code=400
        )
    details = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]),
            "message": str(error.get("msg", "")),
        }
        for error in errors
    ]
    summary = "; ".join(
        f"{detail['field'] or 'body'}: {detail['message']}" for detail in details[:5]
    )
    return JSONResponse(error_body("invalid_request", summary, details=details), status_code=422)


def create_app(settings: Settings, *, hardware: Hardware | None = None) -> FastAPI:
    """The proxy as an ASGI app; devices open in its lifespan and close when it ends."""
    hardware = hardware or Hardware(settings)
    forwarder = Forwarder(settings)
    terminal = TerminalFiles()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hardware.start()
        assert hardware.store is not None
        app.state.security = Security(settings, hardware.store)
        log.warning("pairing code: %s", app.state.security.pairing_code)
        try:
            yield
        finally:
            await forwarder.close()
            await hardware.stop()

    app = FastAPI(
        title="Kassa hardware proxy",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{PROXY_API}/openapi.json",
    )
    app.state.hardware = hardware
    app.state.forwarder = forwarder
    app.state.terminal = terminal
    # Added first, so they run inside the guard: a bug's 500 gets the CORS headers too,
    # and the server's API is forwarded only past the Host and Origin checks.
    app.add_middleware(_ServerApi, forwarder=forwarder)
    app.add_middleware(_UnexpectedErrors)
    app.add_middleware(_LazyGuard)

    @app.exception_handler(ProxyError)
    async def proxy_error(request: Request, exc: ProxyError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        extra = {} if exc.details is None else {"details": exc.details}
        return JSONResponse(
            error_body(exc.code, exc.message, **extra), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The last resort, outside every middleware (a bug in the guard itself).
        log.exception("unexpected error on %s", request.url.path)
        return _internal_error()

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        return status_page(_security(request), hardware)

    # -- the terminal, served from this PC (kassa/terminal of the installed package) ---
    @app.get("/pos", include_in_schema=False)
    async def pos_root() -> RedirectResponse:
        return RedirectResponse("/pos/", status_code=308)

    @app.api_route("/pos/", methods=["GET", "HEAD"], include_in_schema=False)
    async def pos_index(request: Request) -> Response:
        return terminal.respond(request, "index.html")

    @app.api_route("/pos/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def pos_file(path: str, request: Request) -> Response:
        return terminal.respond(request, path)

    app.include_router(router)
    return app


def _internal_error() -> JSONResponse:
    return JSONResponse(
        error_body("internal_error", "unexpected error, see the proxy log"), status_code=500
    )


class _UnexpectedErrors:
    """A bug answers 500 in the error shape from inside the guard, with its CORS headers.

    Starlette's handler for `Exception` sits outside every middleware, so its answer would
    reach a cross-origin terminal without CORS headers: a network error it cannot read.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            if started:
                raise  # part of the answer is out: nothing to replace it with
            log.exception("unexpected error on %s", scope.get("path", ""))
            await _internal_error()(scope, receive, send)


class _ServerApi:
    """The server's terminal API (`/api/v1/…`) straight to the Forwarder, an ASGI app of its
    own (kassa/proxy/forward.py): the answer's bytes go from the server's socket to the
    till's without FastAPI's routing and response classes in between."""

    def __init__(self, app: Any, forwarder: Forwarder) -> None:
        self.app = app
        self.forwarder = forwarder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(SERVER_API):
            await self.forwarder(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _LazyGuard:
    """GuardMiddleware with the Security object the lifespan created (it needs the store)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        security = getattr(scope["app"].state, "security", None)
        if security is None:
            response = JSONResponse(
                error_body("starting", "the proxy is starting"), status_code=503
            )
            await response(scope, receive, send)
            return
        await GuardMiddleware(self.app, security)(scope, receive, send)
