"""The cash drawer on a network printer on 127.0.0.1: kicked at once, never twice, never late,
every attempt logged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kassa.proxy.errors import DeviceOffline
from kassa.proxy.hardware import Hardware
from tests.proxy.conftest import TcpPrinter
from tests.proxy.test_print_queue import RECEIPT, printer_settings, run, until

KICK = b"\x1bp\x00\x32\x32"
PULSE = b"\x10\x14\x01\x00\x01"


def test_the_drawer_opens_after_the_receipt_and_the_opening_is_logged(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> list[dict[str, Any]]:
        job, _ = hardware.print_receipt(key="order-2", document=RECEIPT, open_drawer=True)
        await hardware.wait_job(job.id, 5)
        assert hardware.store is not None
        return hardware.store.drawer_openings()

    openings = run(settings, scenario)
    data = tcp_printer.printed()
    assert data.endswith(b"\x1dV\x01" + KICK)
    assert data.count(KICK) == 1
    assert [(o["reason"], o["source"], o["ok"]) for o in openings] == [
        ("receipt order-2", "print job", True)
    ]


def test_the_drawer_opens_on_request_and_every_attempt_is_logged(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> list[dict[str, Any]]:
        result = await hardware.open_drawer(reason="change for a customer", source="terminal A")
        assert result["opened"] is True
        await until(lambda: KICK in tcp_printer.printed())
        tcp_printer.stop()
        with pytest.raises(DeviceOffline, match="not opened"):
            await hardware.open_drawer(reason="no sale", source="terminal A")
        assert hardware.store is not None
        return hardware.store.drawer_openings()

    openings = run(settings, scenario)
    assert [(o["reason"], o["ok"]) for o in openings][-1] == ("change for a customer", True)
    assert openings[0]["reason"] == "no sale"
    assert openings[0]["ok"] is False
    assert tcp_printer.printed().count(KICK) >= 1


@pytest.mark.parametrize(
    ("inject", "clear"),
    [({"paper": "out"}, {"paper": "ok"}), ({"cover_open": True}, {"cover_open": False})],
)
def test_a_waiting_receipt_opens_its_drawer_at_once_and_not_again_when_printed(
    make_settings: Any, tcp_printer: TcpPrinter, inject: dict[str, Any], clear: dict[str, Any]
) -> None:
    # given a printer stopped on a fault
    for name, value in inject.items():
        setattr(tcp_printer.faults, name, value)
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> tuple[Any, bytes, list[dict[str, Any]]]:
        # when a cash sale's receipt asks for the drawer
        job, _ = hardware.print_receipt(key="order-7", document=RECEIPT, open_drawer=True)
        await until(lambda: hardware.job(job.id).state == "waiting")
        await asyncio.sleep(0.15)  # several retries while the fault lasts
        sent_while_faulted = tcp_printer.printed()
        for name, value in clear.items():
            setattr(tcp_printer.faults, name, value)
        printed = await hardware.wait_job(job.id, 5)
        assert hardware.store is not None
        return printed, sent_while_faulted, hardware.store.drawer_openings()

    printed, sent_while_faulted, openings = run(settings, scenario)

    # then the drawer got the real-time pulse at once, once, and the receipt no kick later
    assert sent_while_faulted == PULSE
    assert printed.state == "printed"
    data = tcp_printer.printed()
    assert data.count(PULSE) == 1
    assert KICK not in data
    assert data.endswith(b"\x1dV\x01")
    assert [(o["reason"], o["ok"]) for o in openings] == [("receipt order-7", True)]


def test_a_receipt_for_an_unreachable_printer_does_not_open_the_drawer_later(
    make_settings: Any, tcp_printer: TcpPrinter
) -> None:
    port = tcp_printer.port
    tcp_printer.stop()
    settings = printer_settings(make_settings, tcp_printer)

    async def scenario(hardware: Hardware) -> tuple[Any, list[dict[str, Any]]]:
        job, _ = hardware.print_receipt(key="order-8", document=RECEIPT, open_drawer=True)
        await until(lambda: hardware.job(job.id).state == "waiting")
        tcp_printer.start(port)
        printed = await hardware.wait_job(job.id, 5)
        assert hardware.store is not None
        return printed, hardware.store.drawer_openings()

    printed, openings = run(settings, scenario)
    assert printed.state == "printed"
    data = tcp_printer.printed()
    assert KICK not in data and PULSE not in data
    assert [(o["reason"], o["ok"]) for o in openings] == [("receipt order-8", False)]
