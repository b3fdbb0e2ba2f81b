"""`kassa proxy`: run the proxy, or ask it something as a technician.

    kassa proxy [--config FILE] [--host 127.0.0.1] [--port 8765] [--virtual]
    kassa proxy status [--json]
    kassa proxy test-print
    kassa proxy open-drawer [--reason TEXT]
    kassa proxy display "line 1" "line 2"
    kassa proxy --server http://shop-server:8000      (serve the terminal, forward its API)
    kassa proxy pairings                              (the terminals paired with it)
    kassa proxy unpair ID                             (revoke one; --all for every one)
    kassa proxy doctor                                (server, terminal files, devices)

The commands talk to the running proxy over HTTP with its local admin token (from
`<state_dir>/proxy.json`). When no proxy runs, they open the devices themselves through
the same `Hardware` service the HTTP API uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from kassa.proxy.errors import ProxyError
from kassa.proxy.settings import DEFAULT_PORT, Settings, load_settings

COMMANDS = ("status", "test-print", "open-drawer", "display", "pairings", "unpair", "doctor")
EXIT_OK, EXIT_DEVICE, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kassa proxy",
        description="Kassa hardware proxy: receipt printer, drawer, customer display, scanner.",
    )
    parser.add_argument("--config", help="TOML configuration file (see docs/proxy.md)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument(
        "--virtual", action="store_true", help="virtual printer, display and scanner"
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="the main server (http://shop-server:8000): the proxy serves its terminal at "
        "/pos/ and forwards its /api/v1/",
    )
    parser.add_argument(
        "--server-ca", metavar="FILE", help="CA certificate(s) to trust for an https server"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    status = commands.add_parser("status", help="device states")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    commands.add_parser("test-print", help="print a test page and wait for it")
    drawer = commands.add_parser("open-drawer", help="open the cash drawer")
    drawer.add_argument("--reason", default="technician", help="logged with the opening")
    display = commands.add_parser("display", help="show up to two lines on the customer display")
    display.add_argument("lines", nargs="*", help='e.g. "line 1" "line 2"')
    pairings = commands.add_parser("pairings", help="the terminals paired with this proxy")
    pairings.add_argument("--json", action="store_true", help="machine-readable output")
    unpair = commands.add_parser(
        "unpair", help="revoke a terminal's pairing (it must pair again to print)"
    )
    unpair.add_argument("ids", nargs="*", metavar="ID", help="as `kassa proxy pairings` lists")
    unpair.add_argument("--all", action="store_true", help="revoke every pairing")
    commands.add_parser(
        "doctor", help="check the server, the terminal's files and the devices, in plain words"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.virtual:
        for device in ("printer", "display", "scanner"):
            overrides[device] = {"url": "virtual:"}
    if args.server:
        overrides["server_url"] = args.server
    if args.server_ca:
        overrides["server_ca_file"] = args.server_ca
    return load_settings(args.config, overrides=overrides)


class Client:
    """What the technician's commands need, whichever way the devices are reached."""

    async def status(self) -> dict[str, Any]:
        raise NotImplementedError

    async def test_print(self) -> dict[str, Any]:
        raise NotImplementedError

    async def open_drawer(self, reason: str) -> dict[str, Any]:
        raise NotImplementedError

    async def display(self, lines: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    async def pairings(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def unpair(self, pairing_id: str) -> dict[str, Any]:
        raise NotImplementedError


class HttpClient(Client):
    def __init__(self, url: str, token: str, *, wait: float) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.wait = wait

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = await self._request(method, path, body)
        return data

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        import httpx

        async with httpx.AsyncClient(
            base_url=self.url, headers=self.headers, timeout=30, trust_env=False
        ) as client:
            response = await client.request(method, path, json=body)
        data: Any = response.json()
        if response.status_code >= 400:
            error = data.get("error", {})
            raise ProxyError(
                error.get("message", str(response.status_code)), code=error.get("code")
            )
        return data

    async def status(self) -> dict[str, Any]:
        return await self._call("GET", "/proxy/v1/status?refresh=true")

    async def test_print(self) -> dict[str, Any]:
        job = await self._call("POST", "/proxy/v1/print/test")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        while job["state"] not in ("printed", "failed") and loop.time() < deadline:
            await asyncio.sleep(0.05)
            job = await self._call("GET", f"/proxy/v1/jobs/{job['job_id']}")
        return job

    async def open_drawer(self, reason: str) -> dict[str, Any]:
        return await self._call("POST", "/proxy/v1/drawer/open", {"reason": reason})

    async def display(self, lines: list[str]) -> dict[str, Any]:
        return await self._call("POST", "/proxy/v1/display", {"lines": lines})

    async def pairings(self) -> list[dict[str, Any]]:
        pairings: list[dict[str, Any]] = await self._request("GET", "/proxy/v1/pairings")
        return pairings

    async def unpair(self, pairing_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/proxy/v1/pairings/{pairing_id}/revoke")


class DirectClient(Client):
    """No proxy running: start the service here, do one thing, stop it."""

    def __init__(self, settings: Settings, *, wait: float) -> None:
        from kassa.proxy.hardware import Hardware

        self.hardware = Hardware(settings)
        self.wait = wait

    async def _with(self, action: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        await self.hardware.start(background=False)
        try:
            return await action()
        finally:
            await self.hardware.stop()

    async def status(self) -> dict[str, Any]:
        async def action() -> dict[str, Any]:
            await self.hardware.refresh_printer_status()
            return self.hardware.status()

        return await self._with(action)

    async def test_print(self) -> dict[str, Any]:
        async def action() -> dict[str, Any]:
            job = self.hardware.print_test()
            return (await self.hardware.wait_job(job.id, self.wait)).as_dict()

        return await self._with(action)

    async def open_drawer(self, reason: str) -> dict[str, Any]:
        return await self._with(
            lambda: self.hardware.open_drawer(reason=reason, source="kassa proxy open-drawer")
        )

    async def display(self, lines: list[str]) -> dict[str, Any]:
        async def action() -> dict[str, Any]:
            return {"lines": await self.hardware.display_show(lines)}

        return await self._with(action)

    def _store(self) -> Any:
        from kassa.proxy.store import Store

        return Store(self.hardware.settings.state_dir / "proxy.sqlite3")

    async def pairings(self) -> list[dict[str, Any]]:
        store = self._store()
        try:
            return [pairing.as_dict() for pairing in store.pairings()]
        finally:
            store.close()

    async def unpair(self, pairing_id: str) -> dict[str, Any]:
        store = self._store()
        try:
            pairing = store.pairing_revoke(pairing_id)
        finally:
            store.close()
        if pairing is None:
            raise ProxyError(f"no pairing {pairing_id!r} (kassa proxy pairings lists them)")
        result: dict[str, Any] = pairing.as_dict()
        return result


def client_for(settings: Settings, *, wait: float = 20.0) -> Client:
    """HTTP to the running proxy if one holds the state directory, else the devices directly."""
    from kassa.proxy.errors import StateDirLocked
    from kassa.proxy.hardware import lock_state_dir
    from kassa.proxy.server import read_runtime

    try:
        lock_state_dir(settings.state_dir).close()
    except StateDirLocked:
        info = read_runtime(settings)
        if not info:
            raise ProxyError("a proxy is running but left no proxy.json; restart it") from None
        return HttpClient(info["url"], info["admin_token"], wait=wait)
    return DirectClient(settings, wait=wait)


def _print_status(status: dict[str, Any]) -> None:
    printer, display, scanner = status["printer"], status["display"], status["scanner"]
    print(f"printer  {printer['url']}: {printer['state']}", end="")
    if printer.get("fault"):
        print(f", fault {printer['fault']}", end="")
    if printer.get("paper") not in (None, "unknown"):
        print(f", paper {printer['paper']}", end="")
    print(f"{' (' + printer['detail'] + ')' if printer.get('detail') else ''}")
    print(f"drawer   {status['drawer']['state']}")
    print(f"display  {display['url']}: {display['state']}")
    print(f"scanner  {scanner['url']}: {scanner['state']}")


def _print_pairings(pairings: list[dict[str, Any]]) -> None:
    if not pairings:
        print("no terminal is paired with this proxy")
        return
    for pairing in pairings:
        seen = (pairing["last_seen_at"] or "never")[:16].replace("T", " ")
        paired = pairing["created_at"][:16].replace("T", " ")
        print(
            f"{pairing['id']}  {pairing['label'] or '(no name)'}  "
            f"{pairing['origin'] or '(no origin)'}  paired {paired}  last seen {seen}"
        )


def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "doctor":
        from kassa.proxy.doctor import doctor

        return doctor(settings)
    client = client_for(settings)
    if args.command == "pairings":
        pairings = asyncio.run(client.pairings())
        if args.json:
            print(json.dumps(pairings, indent=2))
        else:
            _print_pairings(pairings)
        return EXIT_OK
    if args.command == "unpair":
        ids = list(args.ids)
        if args.all:
            ids = [pairing["id"] for pairing in asyncio.run(client.pairings())]
        elif not ids:
            print("kassa proxy unpair: name a pairing (kassa proxy pairings) or --all")
            return EXIT_USAGE
        for pairing_id in ids:
            revoked = asyncio.run(client.unpair(pairing_id))
            print(f"revoked {revoked['id']} {revoked['label'] or revoked['origin']}")
        return EXIT_OK
    if args.command == "status":
        status = asyncio.run(client.status())
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            _print_status(status)
        printer = status["printer"]
        return EXIT_OK if not printer["configured"] or printer["fault"] is None else EXIT_DEVICE
    if args.command == "test-print":
        job = asyncio.run(client.test_print())
        fault = f", {job['fault']}" if job.get("fault") else ""
        print(f"test print {job['job_id']}: {job['state']}{fault}")
        if job["state"] == "waiting":
            print("the job stays queued and prints once the printer is ready", file=sys.stderr)
        return EXIT_OK if job["state"] == "printed" else EXIT_DEVICE
    if args.command == "open-drawer":
        asyncio.run(client.open_drawer(args.reason))
        print("drawer opened")
        return EXIT_OK
    if args.command == "display":
        result = asyncio.run(client.display(list(args.lines)))
        for line in result["lines"]:
            print(f"|{line}|")
        return EXIT_OK
    raise AssertionError(args.command)


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings(args)
    except ProxyError as exc:
        print(f"kassa proxy: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command is None:
            from kassa.proxy.server import ProxyServer

            ProxyServer(settings, log_level=args.log_level).run()
            return EXIT_OK
        return _run_command(args, settings)
    except ProxyError as exc:
        print(f"kassa proxy: {exc.message}", file=sys.stderr)
        return EXIT_USAGE if exc.code in ("config_error", "proxy_running") else EXIT_DEVICE
    except KeyboardInterrupt:
        return EXIT_OK
