"""Printer transports against real parts: a TCP printer on 127.0.0.1, a pty, a file."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from kassa.proxy.devices.printer import FileTransport, Printer, SerialTransport, TcpTransport
from kassa.proxy.errors import DeviceOffline
from kassa.proxy.settings import parse_device_url
from tests.proxy.conftest import Pty, TcpPrinter


def tcp(printer: TcpPrinter, **options: float) -> Printer:
    return Printer(
        TcpTransport("127.0.0.1", printer.port, timeout=2),
        status_timeout=options.get("status_timeout", 0.3),
    )


def test_status_of_a_ready_network_printer(tcp_printer: TcpPrinter) -> None:
    printer = tcp(tcp_printer)
    try:
        status = printer.status()
    finally:
        printer.close()
    assert (status.state, status.cover_open, status.paper, status.fault) == (
        "online",
        False,
        "ok",
        None,
    )
    assert bytes(tcp_printer.received) == b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


@pytest.mark.parametrize(
    ("paper", "cover_open", "state", "paper_state", "fault"),
    [
        ("near_end", False, "online", "near_end", None),
        ("out", False, "offline", "out", "paper_out"),
        ("ok", True, "offline", "ok", "cover_open"),
    ],
)
def test_faults_injected_into_the_network_printer(
    tcp_printer: TcpPrinter,
    paper: str,
    cover_open: bool,
    state: str,
    paper_state: str,
    fault: str | None,
) -> None:
    tcp_printer.faults.paper = paper
    tcp_printer.faults.cover_open = cover_open
    printer = tcp(tcp_printer)
    try:
        status = printer.status()
    finally:
        printer.close()
    assert (status.state, status.paper, status.fault) == (state, paper_state, fault)


def test_a_printer_that_does_not_answer_is_unknown_never_ok(tcp_printer: TcpPrinter) -> None:
    tcp_printer.faults.no_answer = True
    printer = tcp(tcp_printer, status_timeout=0.1)
    started = time.monotonic()
    try:
        status = printer.status()
    finally:
        printer.close()
    assert time.monotonic() - started < 1.0
    assert (status.state, status.fault) == ("unknown", "no_answer")


def test_an_unreachable_printer_is_offline() -> None:
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
    printer = Printer(TcpTransport("127.0.0.1", port, timeout=0.5))
    status = printer.status()
    assert (status.state, status.fault) == ("offline", "offline")
    assert "refused" in status.detail.lower()
    with pytest.raises(DeviceOffline):
        printer.send(b"x")


def test_bytes_arrive_in_order_over_one_kept_connection(tcp_printer: TcpPrinter) -> None:
    printer = tcp(tcp_printer)
    try:
        printer.status()
        printer.send(b"\x1b@hello\n")
        printer.send(b"world\n\x1dV\x01")
        tcp_printer.wait_for(lambda: len(tcp_printer.received) >= 9 + 8 + 9)
    finally:
        printer.close()
    assert tcp_printer.printed() == b"\x1b@hello\nworld\n\x1dV\x01"
    assert tcp_printer.connections == 1


def test_the_connection_is_reopened_after_the_printer_restarts(tcp_printer: TcpPrinter) -> None:
    printer = tcp(tcp_printer)
    try:
        assert printer.status().state == "online"
        port = tcp_printer.port
        tcp_printer.stop()  # the printer power-cycles
        tcp_printer.start(port)
        assert printer.status().state == "online"
    finally:
        printer.close()
    assert tcp_printer.connections >= 1


def test_a_serial_printer_on_a_pseudo_terminal_answers_status(pty: Pty) -> None:
    import threading

    url = parse_device_url(f"serial://{pty.path}?baudrate=19200", "printer")
    printer = Printer(SerialTransport(url, timeout=1), status_timeout=0.5)
    answers = {1: 0x12, 2: 0x12, 4: 0x1E}

    def printer_side() -> None:
        for _ in range(3):
            query = pty.read(3)
            pty.write(bytes([answers[query[2]]]))

    responder = threading.Thread(target=printer_side)
    responder.start()
    try:
        status = printer.status()
        printer.send(b"\x1b@ok\n")
        assert pty.read(5) == b"\x1b@ok\n"
    finally:
        responder.join(2)
        printer.close()
    assert (status.state, status.paper, status.fault) == ("online", "near_end", None)


def test_a_file_printer_writes_and_cannot_report_status(tmp_path: Path) -> None:
    path = tmp_path / "lp0"
    printer = Printer(FileTransport(str(path)))
    printer.send(b"\x1b@receipt\n")
    printer.close()
    assert path.read_bytes() == b"\x1b@receipt\n"
    assert not printer.status_supported
    assert printer.status().state == "unknown"


def test_a_missing_file_printer_is_offline(tmp_path: Path) -> None:
    printer = Printer(FileTransport(str(tmp_path / "no-such-dir" / "lp0")))
    with pytest.raises(DeviceOffline, match="No such file"):
        printer.send(b"x")


def test_a_usb_printer_that_is_not_plugged_in_is_offline() -> None:
    from kassa.proxy.devices.printer import UsbTransport

    # no such device here (or no libusb at all): either way nothing is sent, it is offline
    url = parse_device_url("usb://04b8:0202?interface=0", "printer")
    printer = Printer(UsbTransport(url, timeout=1))
    with pytest.raises(DeviceOffline, match="usb://04b8:0202"):
        printer.send(b"\x1b@")
    assert printer.status().state == "offline"
