"""`kassa proxy ...` commands, directly on the devices and through a running proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kassa.cli import main as kassa_main
from kassa.proxy.cli import main
from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import load_settings
from tests.proxy.conftest import TcpPrinter

REPO = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, printer_url: str, **extra: str) -> Path:
    config = tmp_path / "proxy.toml"
    lines = [
        'state_dir = "state"',
        "port = 0",
        "[printer]",
        f'url = "{printer_url}"',
        "status_interval = 0.05",
        "status_timeout = 0.2",
        "[display]",
        'url = "virtual:"',
        "[scanner]",
        'url = "virtual:"',
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def test_status_json_without_a_running_proxy(
    tmp_path: Path, tcp_printer: TcpPrinter, capsys: Any
) -> None:
    config = write_config(tmp_path, tcp_printer.url)
    assert main(["--config", str(config), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["printer"]["state"] == "online"
    assert status["printer"]["url"] == tcp_printer.url
    assert status["scanner"]["state"] == "connected"


def test_status_reports_a_fault_with_exit_code_1(
    tmp_path: Path, tcp_printer: TcpPrinter, capsys: Any
) -> None:
    tcp_printer.faults.cover_open = True
    config = write_config(tmp_path, tcp_printer.url)
    assert main(["--config", str(config), "status"]) == 1
    out = capsys.readouterr().out
    assert f"printer  {tcp_printer.url}: offline, fault cover_open, paper ok" in out
    assert "drawer   unknown" in out


def test_test_print_and_drawer_on_the_devices_directly(
    tmp_path: Path, tcp_printer: TcpPrinter, capsys: Any
) -> None:
    config = write_config(tmp_path, tcp_printer.url)
    assert main(["--config", str(config), "test-print"]) == 0
    assert "printed" in capsys.readouterr().out
    assert b"Kassa test print" in tcp_printer.printed()
    assert main(["--config", str(config), "open-drawer", "--reason", "coin roll"]) == 0
    assert tcp_printer.printed().endswith(b"\x1bp\x00\x32\x32")
    settings = load_settings(config, env={})
    from kassa.proxy.store import Store

    store = Store(settings.state_dir / "proxy.sqlite3")
    try:
        openings = store.drawer_openings()
    finally:
        store.close()
    assert [(o["reason"], o["source"], o["ok"]) for o in openings] == [
        ("coin roll", "kassa proxy open-drawer", True)
    ]


def test_test_print_on_a_faulted_printer_leaves_the_job_waiting(
    tmp_path: Path, tcp_printer: TcpPrinter, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tcp_printer.faults.paper = "out"
    config = write_config(tmp_path, tcp_printer.url)
    monkeypatch.setattr("kassa.proxy.cli.DirectClient.__init__", _short_wait)
    assert main(["--config", str(config), "test-print"]) == 1
    captured = capsys.readouterr()
    assert "waiting, paper_out" in captured.out
    assert "prints once the printer is ready" in captured.err
    assert tcp_printer.printed() == b""


def _short_wait(self: Any, settings: Any, *, wait: float) -> None:
    from kassa.proxy.hardware import Hardware

    self.hardware = Hardware(settings)
    self.wait = 0.3


def test_commands_go_through_the_running_proxy(tmp_path: Path, capsys: Any) -> None:
    config = write_config(tmp_path, "virtual:")
    settings = load_settings(config, env={})
    with ProxyServer(settings, log_level="warning") as server:
        assert main(["--config", str(config), "display", "Grüße", "12,50 €"]) == 0
        assert capsys.readouterr().out == "|Grusse              |\n|12,50 EUR           |\n"
        assert main(["--config", str(config), "test-print"]) == 0
        assert main(["--config", str(config), "open-drawer"]) == 0
        assert main(["--config", str(config), "status", "--json"]) == 0
        # the running proxy's own virtual devices did the work
        assert server.hardware.virtual_printer is not None
        receipts = server.hardware.virtual_printer.receipts
        assert len(receipts) == 1 and "Kassa test print" in receipts[0].text
        assert server.hardware.virtual_printer.drawer_open
        assert server.hardware.virtual_display is not None
        assert server.hardware.virtual_display.emulator.frame[0] == "Grusse              "


def test_bad_configuration_is_exit_code_2(tmp_path: Path, capsys: Any) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[printer]\nurl = "lpt://1"\n', encoding="utf-8")
    assert main(["--config", str(config), "status"]) == 2
    assert "scheme must be one of" in capsys.readouterr().err
    assert kassa_main(["proxy", "--config", str(tmp_path / "missing.toml"), "status"]) == 2


def test_no_device_configured_says_so(tmp_path: Path, capsys: Any) -> None:
    config = tmp_path / "empty.toml"
    config.write_text('state_dir = "state"\n', encoding="utf-8")
    assert main(["--config", str(config), "open-drawer"]) == 1
    assert "no printer is configured" in capsys.readouterr().err


def test_the_proxy_never_imports_django() -> None:
    code = (
        "import sys\n"
        "import kassa.proxy.app, kassa.proxy.cli, kassa.proxy.server\n"
        "from kassa.proxy.settings import load_settings\n"
        "from kassa.proxy.app import create_app\n"
        "create_app(load_settings(None, env={}, overrides={'printer': {'url': 'virtual:'}}))\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)\n"
        "print('ok')\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_kassa_proxy_help_runs_without_django() -> None:
    code = (
        "import sys\n"
        "from kassa.cli import main\n"
        "try:\n"
        "    main(['proxy', '--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        "assert 'django' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "kassa proxy" in result.stdout
    assert "test-print" in result.stdout
