"""`kassa proxy doctor`: what a technician checks after installing a till, in plain words.

    kassa proxy --config /etc/kassa/proxy.toml doctor

One line per check, `ok`, `warn` or `FAIL`, and what to do about a failure: the main server
reachable (and answering as a Kassa server), the terminal's files served at /pos/, the
printer, the customer display and the scanner. Through the running proxy when there is one
(its own view of the devices), else by opening the devices here. Exit 0 when nothing
failed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from kassa.proxy.errors import ProxyError
from kassa.proxy.settings import Settings
from kassa.proxy.terminal_files import TerminalFiles

Level = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    what: str
    text: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.what:<15} {self.text}"


def _client(settings: Settings | None = None, timeout: float = 5.0) -> httpx.AsyncClient:
    verify: Any = True
    if settings is not None and settings.server_ca_file is not None:
        import ssl

        verify = ssl.create_default_context(cafile=str(settings.server_ca_file))
    return httpx.AsyncClient(timeout=timeout, verify=verify, trust_env=False)


async def _server(settings: Settings, proxy_url: str | None) -> list[Finding]:
    if not settings.server_url:
        return [
            Finding(
                "warn",
                "server",
                "no server_url: this proxy drives the devices only, and the till must be "
                "opened from the server (https). Set server_url to serve the till from here.",
            )
        ]
    findings = []
    url = f"{settings.server_url}/api/v1/terminal"
    try:
        async with _client(settings) as client:
            answer = await client.get(url)
    except httpx.HTTPError as exc:
        return [
            Finding(
                "FAIL",
                "server",
                f"{settings.server_url} cannot be reached ({type(exc).__name__}: {exc}). "
                "Check the address, that the server runs, and the network cable.",
            )
        ]
    kassa = answer.status_code == 401 and "application/json" in answer.headers.get(
        "content-type", ""
    )
    if kassa:
        findings.append(Finding("ok", "server", f"{settings.server_url} answers as Kassa"))
    else:
        findings.append(
            Finding(
                "FAIL",
                "server",
                f"{settings.server_url} answered HTTP {answer.status_code}, not as a Kassa "
                "server: check server_url (scheme, host and port).",
            )
        )
    if proxy_url:
        try:
            async with _client() as client:
                through = await client.get(f"{proxy_url}/api/v1/terminal")
            if through.status_code == 401:
                findings.append(Finding("ok", "forwarding", "the till's API reaches the server"))
            else:
                error = _error_message(through)
                findings.append(
                    Finding(
                        "FAIL",
                        "forwarding",
                        f"the running proxy answered {through.status_code} ({error}): "
                        "restart it after changing server_url",
                    )
                )
        except httpx.HTTPError as exc:
            findings.append(Finding("FAIL", "forwarding", f"the running proxy: {exc}"))
    return findings


def _error_message(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return answer.reason_phrase


async def _terminal(settings: Settings, proxy_url: str | None) -> Finding:
    files = TerminalFiles()
    if not files.installed:
        return Finding(
            "FAIL", "terminal files", f"not installed here ({files.root}): reinstall kassa"
        )
    if not proxy_url:
        return Finding(
            "warn",
            "terminal files",
            f"installed ({files.root}); the proxy is not running, so not served: "
            "start it (systemctl start kassa-proxy)",
        )
    try:
        async with _client() as client:
            for path in ("/pos/", "/pos/app.js", "/pos/sw.js"):
                answer = await client.get(f"{proxy_url}{path}")
                if answer.status_code != 200:
                    return Finding(
                        "FAIL", "terminal files", f"{proxy_url}{path}: HTTP {answer.status_code}"
                    )
    except httpx.HTTPError as exc:
        return Finding("FAIL", "terminal files", f"{proxy_url}: {exc}")
    return Finding("ok", "terminal files", f"served at {proxy_url}/pos/ (open this in the kiosk)")


def _devices(status: dict[str, Any]) -> list[Finding]:
    findings = []
    printer = status["printer"]
    if not printer["configured"]:
        findings.append(
            Finding("warn", "printer", "none configured: receipts print through the browser")
        )
    elif printer.get("fault") is None:
        paper = printer.get("paper")
        note = ", paper running low" if paper == "near_end" else ""
        findings.append(Finding("ok", "printer", f"{printer['url']} ready{note}"))
    else:
        advice = {
            "paper_out": "load a paper roll",
            "cover_open": "close the printer's cover",
            "no_answer": "check that it is on, its cable, and the address in the configuration",
            "offline": "the printer is offline: check its light and paper",
            "error": "the printer reports an error: switch it off and on",
        }.get(printer["fault"], printer.get("detail") or "")
        findings.append(
            Finding("FAIL", "printer", f"{printer['url']}: {printer['fault']} ({advice})")
        )
    display = status["display"]
    if not display["configured"]:
        findings.append(Finding("ok", "display", "none configured"))
    elif display.get("state") in {"connected", "ok", "online"}:
        findings.append(Finding("ok", "display", f"{display['url']} connected"))
    else:
        detail = display.get("detail") or display.get("state")
        findings.append(
            Finding("FAIL", "display", f"{display['url']}: {detail} (check its cable and port)")
        )
    scanner = status["scanner"]
    if not scanner["configured"]:
        findings.append(
            Finding("ok", "scanner", "none configured (a keyboard-wedge scanner needs none)")
        )
    elif scanner.get("state") == "connected":
        findings.append(Finding("ok", "scanner", f"{scanner['url']} connected"))
    else:
        findings.append(
            Finding(
                "FAIL",
                "scanner",
                f"{scanner['url']}: {scanner.get('state')} (check its cable, and that the "
                "proxy's user may read the device)",
            )
        )
    return findings


async def diagnose(settings: Settings) -> list[Finding]:
    from kassa.proxy.cli import HttpClient, client_for

    client = client_for(settings, wait=5.0)
    proxy_url = client.url if isinstance(client, HttpClient) else None
    findings = [
        Finding(
            "ok" if proxy_url else "warn",
            "proxy",
            f"running at {proxy_url}" if proxy_url else "not running (checked without it)",
        )
    ]
    findings += await _server(settings, proxy_url)
    findings.append(await _terminal(settings, proxy_url))
    try:
        status = await client.status()
        if status["display"]["configured"] and status["display"].get("state") == "unknown":
            # Nothing written to it yet: write the welcome lines, which tells.
            await client.display(list(settings.display.welcome))
            status = await client.status()
        findings += _devices(status)
    except ProxyError as exc:
        findings.append(Finding("FAIL", "devices", exc.message))
    return findings


def doctor(settings: Settings) -> int:
    findings = asyncio.run(diagnose(settings))
    for finding in findings:
        print(finding.line())
    failed = [finding for finding in findings if finding.level == "FAIL"]
    print(
        f"{len(failed)} problem(s) to fix" if failed else "all checks passed",
    )
    return 1 if failed else 0
