"""`Hardware`, the facade the API and the command line share: life cycle and status."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from kassa.proxy.errors import StateDirLocked
from kassa.proxy.hardware import Hardware
from tests.proxy.conftest import TcpPrinter
from tests.proxy.test_print_queue import printer_settings, run


def test_one_proxy_per_state_directory(make_settings: Any, tcp_printer: TcpPrinter) -> None:
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> None:
        other = Hardware(settings)
        with pytest.raises(StateDirLocked, match="another kassa proxy"):
            await other.start()

    run(settings, scenario)
    assert not os.path.exists(settings.state_dir / "proxy.json")


def test_the_status_gives_the_terminal_the_paper_columns_and_the_display_size(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    # given a 58 mm printer and a 4x40 display (the terminal lays out and fits to these)
    settings = make_settings(
        printer={"url": tcp_printer.url, "paper_width": 58, "status_interval": 0.03},
        display={"url": "virtual:", "rows": 4, "columns": 40, "idle_seconds": 0},
    )

    async def scenario() -> dict[str, Any]:
        hardware = Hardware(settings)
        await hardware.start()
        try:
            await hardware.refresh_printer_status()
            await asyncio.sleep(0.05)  # the welcome lines
            return hardware.status()
        finally:
            await hardware.stop()

    status = asyncio.run(scenario())
    printer, display = status["printer"], status["display"]
    assert (printer["columns"], printer["code_page"]) == (32, "CP858")
    assert (printer["state"], printer["fault"], printer["pending_jobs"]) == ("online", None, 0)
    assert display["size"] == [4, 40]
    assert display["lines"] == ["Welcome".ljust(40), *[" " * 40] * 3]
    assert (display["state"], display["virtual"], display["protocol"]) == ("ok", True, "epson")
    assert status["drawer"] == {"state": "unknown"}  # no sensor configured
