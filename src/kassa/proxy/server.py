"""Run the proxy on uvicorn: in this thread (`kassa proxy`) or in a background thread.

    with ProxyServer(load_settings("demo.toml", overrides={"port": 0})) as server:
        print(server.url)          # http://127.0.0.1:<port>
        server.admin_token         # the local admin credential

The demo and the tests use the background form; it returns once the proxy answers.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from kassa.proxy.app import create_app
from kassa.proxy.errors import ProxyError
from kassa.proxy.hardware import Hardware
from kassa.proxy.security import Security
from kassa.proxy.settings import Settings

log = logging.getLogger("kassa.proxy")
RUNTIME_FILE = "proxy.json"
DEMO_CONFIG = Path(__file__).with_name("demo.toml")


class _Uvicorn(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, hardware: Hardware) -> None:
        super().__init__(config)
        self.hardware = hardware

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # End the event streams first: uvicorn waits for open responses before the
        # lifespan shutdown, and an SSE response never ends on its own.
        self.hardware.bus.close()
        await super().shutdown(sockets)


class ProxyServer:
    def __init__(
        self, settings: Settings, *, hardware: Hardware | None = None, log_level: str = "info"
    ) -> None:
        self.settings = settings
        self.hardware = hardware or Hardware(settings)
        # Fail early and clearly when another proxy holds the state directory.
        self.hardware.lock_state_dir()
        self.app = create_app(settings, hardware=self.hardware)
        config = uvicorn.Config(
            self.app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            log_level=log_level,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
            server_header=False,
        )
        self._server = _Uvicorn(config, self.hardware)
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def security(self) -> Security:
        security: Security = self.app.state.security
        return security

    @property
    def admin_token(self) -> str:
        return self.security.admin_token

    @property
    def runtime_file(self) -> Path:
        return self.settings.state_dir / RUNTIME_FILE

    def _started(self) -> None:
        servers = self._server.servers
        port = servers[0].sockets[0].getsockname()[1] if servers else self.settings.port
        host = self.settings.host
        host = f"[{host}]" if ":" in host else host
        if host in {"0.0.0.0", "[::]"}:  # noqa: S104 -- the local URL of a wildcard bind
            host = "127.0.0.1"
        self.url = f"http://{host}:{port}"
        info = {"url": self.url, "admin_token": self.admin_token, "pid": os.getpid()}
        fd = os.open(self.runtime_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle)
        log.warning(
            "kassa proxy on %s (status page), pairing code %s", self.url, self.security.pairing_code
        )

    def _cleanup(self) -> None:
        try:
            info = json.loads(self.runtime_file.read_text())
            if info.get("pid") == os.getpid():
                self.runtime_file.unlink()
        except (OSError, ValueError):
            pass

    def run(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM."""
        original = self._server.startup

        async def startup(sockets: list[socket.socket] | None = None) -> None:
            await original(sockets)
            if self._server.started:
                self._started()

        self._server.startup = startup  # type: ignore[method-assign]
        try:
            self._server.run()
        finally:
            self._cleanup()
        if not self._server.started:
            raise ProxyError(
                f"the proxy could not start on {self.settings.host}:{self.settings.port}"
            )

    def start(self, timeout: float = 10.0) -> str:
        """Serve in a background thread; return the URL once it accepts requests."""
        self._thread = threading.Thread(target=self.run, name="kassa-proxy", daemon=True)
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self.url:
            if not self._thread.is_alive():
                raise ProxyError("the proxy stopped during start-up; see its log")
            deadline.wait(0.01)
            waited += 0.01
            if waited > timeout:
                self.stop()
                raise ProxyError("the proxy did not start in time")
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def __enter__(self) -> ProxyServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def read_runtime(settings: Settings) -> dict[str, Any] | None:
    """The running proxy's URL and admin token, as written at its start."""
    try:
        info: dict[str, Any] = json.loads((settings.state_dir / RUNTIME_FILE).read_text())
    except (OSError, ValueError):
        return None
    return info


def demo_server(
    state_dir: Path,
    *,
    port: int = 8765,
    allowed_origins: list[str] | None = None,
    log_level: str = "warning",
) -> ProxyServer:
    """The proxy with virtual devices for `kassa demo`: start it with `.start()` or `with`.

    Uses `demo.toml` next to this module, with the given state directory, port (0 picks a
    free one) and origins (default: the demo server on 127.0.0.1:8000 and localhost:8000).
    """
    from kassa.proxy.settings import load_settings

    overrides: dict[str, Any] = {"state_dir": str(state_dir), "port": port}
    if allowed_origins is not None:
        overrides["allowed_origins"] = allowed_origins
    return ProxyServer(load_settings(DEMO_CONFIG, env={}, overrides=overrides), log_level=log_level)
