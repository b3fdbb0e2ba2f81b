"""Who may talk to the proxy: Host check, origin allowlist with CORS, pairing and tokens.

- `Host` must name this machine (loopback names, the configured host, `allowed_hosts`):
  a DNS-rebound name is refused before anything else happens.
- A request carrying an `Origin` is served only for the proxy's own origin (its status
  page), the configured `allowed_origins`, or, when that list is empty, the origins that
  paired. CORS answers name that one origin, never `*`, and Chrome's Private Network
  Access preflight is answered.
- Printing, the drawer, the display and events need `Authorization: Bearer <token>`:
  a token from pairing, or the local admin token (status page and `kassa proxy` commands).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from kassa.proxy.errors import Forbidden, NotFound, Unauthorized, send_error
from kassa.proxy.settings import Settings, normalize_origin
from kassa.proxy.store import Store

log = logging.getLogger("kassa.proxy.security")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
MAX_PAIRING_FAILURES = 5
MAX_BODY_BYTES = 1024 * 1024
# The proxy's own API; the server's terminal API it forwards keeps its own paths.
PROXY_API = "/proxy/v1"
SERVER_API = "/api/v1/"
PAIR_PATH = f"{PROXY_API}/pair"
# A forwarded request is the server's to judge: an order batch at the server's limit
# (16 MiB) must pass. The proxy only stops what no server would take.
MAX_FORWARD_BODY_BYTES = 64 * 1024 * 1024


def new_pairing_code() -> str:
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def _canonical_code(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a token belongs to: the local admin or a paired origin ("" if paired without one)."""

    admin: bool
    origin: str


class Security:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.admin_token = secrets.token_urlsafe(32)
        self.configured_origins = frozenset(settings.file.allowed_origins)
        self.hosts = {name.lower() for name in (*LOOPBACK_NAMES, *settings.file.allowed_hosts)}
        if settings.host not in {"0.0.0.0", "::", ""}:  # noqa: S104 -- compared, not bound
            self.hosts.add(settings.host.lower())
        self._failures = 0
        configured = settings.file.pairing_code
        if configured and not store.pairing_code_used(_canonical_code(configured)):
            self.pairing_code = configured
        else:
            self.pairing_code = new_pairing_code()
        self._paired_origins = store.origins()

    # -- origins --------------------------------------------------------------------------
    @property
    def bootstrap(self) -> bool:
        """No origin configured: any origin may pair, and pairing allows it."""
        return not self.configured_origins

    def origin_allowed(self, origin: str) -> bool:
        if self.configured_origins:
            return origin in self.configured_origins
        return origin in self._paired_origins

    def host_allowed(self, host_header: str) -> bool:
        host = host_header.strip().lower()
        if host.startswith("["):
            name = host.split("]")[0] + "]"
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in self.hosts

    # -- pairing --------------------------------------------------------------------------
    def rotate_pairing_code(self) -> str:
        self.pairing_code = new_pairing_code()
        self._failures = 0
        log.warning("pairing code: %s", self.pairing_code)
        return self.pairing_code

    def pair(
        self, code: str, origin: str | None, *, label: str = "", same_origin: bool = False
    ) -> str:
        """Check the one-time code; return a new token; allow the origin when bootstrapping.

        `same_origin`: the terminal the proxy serves itself (`/pos/`) pairs like any other,
        and is never refused for its origin."""
        if (
            origin is not None
            and not same_origin
            and not self.bootstrap
            and not self.origin_allowed(origin)
        ):
            raise Forbidden("this origin may not pair with the proxy", code="origin_not_allowed")
        given = _canonical_code(code).encode()
        expected = _canonical_code(self.pairing_code).encode()
        if not hmac.compare_digest(given, expected):
            self._failures += 1
            if self._failures >= MAX_PAIRING_FAILURES:
                log.warning("too many wrong pairing codes: the code changes")
                self.rotate_pairing_code()
            raise Forbidden("wrong pairing code", code="wrong_pairing_code")
        self.store.pairing_code_use(expected.decode())
        token = secrets.token_urlsafe(32)
        self.store.token_add(token, origin or "", label)
        if origin is not None and self.bootstrap and not same_origin:
            self.store.origin_add(origin)
            self._paired_origins.add(origin)
        log.info("paired %s", origin or "a client without origin")
        self.rotate_pairing_code()
        return token

    def revoke(self, pairing_id: str) -> dict[str, Any]:
        """Revoke one pairing: its token is refused from now on (the till asks to pair)."""
        pairing = self.store.pairing_revoke(pairing_id)
        if pairing is None:
            raise NotFound(f"no pairing {pairing_id!r} (kassa proxy pairings lists them)")
        self._paired_origins = self.store.origins()
        log.warning("pairing %s (%s) revoked", pairing.id, pairing.origin or "no origin")
        return pairing.as_dict()

    def authenticate(self, token: str | None, origin: str | None) -> Principal:
        if not token:
            raise Unauthorized("this call needs Authorization: Bearer <pairing token>")
        if hmac.compare_digest(token.encode(), self.admin_token.encode()):
            return Principal(admin=True, origin="")
        paired_origin = self.store.token_origin(token)
        if paired_origin is None:
            raise Unauthorized("unknown token: pair again", code="invalid_token")
        if origin is not None and paired_origin and origin != paired_origin:
            raise Forbidden("this token was paired from another origin", code="origin_mismatch")
        return Principal(admin=False, origin=paired_origin)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _headers(scope: Scope) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]
    }


# Every answer of the APIs: data, never a page, so nothing in it may load, run or be
# framed, and no browser may sniff it into one.
API_HEADERS = (
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
)


async def _send_json(
    send: Send, status: int, code: str, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send_error(send, status, code, message, [*API_HEADERS, *(extra or [])])


CORS_METHODS = b"GET, POST, OPTIONS"
CORS_HEADERS = b"Authorization, Content-Type, Last-Event-ID"


class GuardMiddleware:
    """Host check, origin check with CORS and Private Network Access, body size limit."""

    def __init__(self, app: ASGIApp, security: Security) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self.security.host_allowed(host):
            await _send_json(send, 400, "invalid_host", f"Host {host!r} is not this proxy")
            return
        raw_origin = headers.get("origin")
        origin: str | None = None
        same_origin = False
        cors = False
        forwarded = scope["path"].startswith(SERVER_API)
        if raw_origin is not None:
            try:
                origin = normalize_origin(raw_origin)
            except ValueError:
                # "null" (sandboxed frames, file:) and other opaque origins: never allowed
                await _send_json(
                    send, 403, "origin_not_allowed", f"origin {raw_origin!r} is not allowed"
                )
                return
            same_origin = origin == f"http://{host.lower()}"
            pairing = scope["path"] == PAIR_PATH and self.security.bootstrap
            cors = not same_origin and (self.security.origin_allowed(origin) or pairing)
            if forwarded and not same_origin:
                # The server's API is for the terminal this proxy serves, never for
                # another page, not even a paired one (that one talks to its server).
                cors = False
            if not same_origin and not cors:
                await _send_json(
                    send, 403, "origin_not_allowed", f"origin {raw_origin!r} is not allowed"
                )
                return
        state = scope.setdefault("state", {})
        state["origin"] = origin
        state["same_origin"] = same_origin
        cors_headers: list[tuple[bytes, bytes]] = []
        if cors and origin is not None:
            cors_headers = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin"),
            ]
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = [
                *cors_headers,
                (b"access-control-allow-methods", CORS_METHODS),
                (b"access-control-allow-headers", CORS_HEADERS),
                (b"access-control-max-age", b"600"),
            ]
            if headers.get("access-control-request-private-network") == "true":
                preflight.append((b"access-control-allow-private-network", b"true"))
            await send({"type": "http.response.start", "status": 204, "headers": preflight})
            await send({"type": "http.response.body", "body": b""})
            return
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await _send_json(send, 411, "length_required", "send a Content-Length")
            return
        length = headers.get("content-length")
        limit = MAX_FORWARD_BODY_BYTES if forwarded else MAX_BODY_BYTES
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _send_json(send, 413, "too_large", f"request bodies are limited to {limit} bytes")
            return

        # The APIs' answers, the proxy's own and the server's it forwards, are data; the
        # status page and the terminal's files carry their own policies.
        api = scope["path"].startswith((f"{PROXY_API}/", SERVER_API))

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = list(message.get("headers", []))
                names = {name.lower() for name, _ in sent}
                extra = [h for h in API_HEADERS if api and h[0] not in names]
                message["headers"] = [*sent, *extra, *cors_headers]
            await send(message)

        await self.app(scope, receive, send_with_cors)
