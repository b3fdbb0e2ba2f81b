"""Receipt printer transports and the printer device (ESC/POS bytes out, status bytes in)."""

from __future__ import annotations

import contextlib
import importlib
import os
import select
import socket
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

from kassa.proxy.errors import ConfigError, DeviceOffline, DeviceWriteError
from kassa.proxy.settings import DeviceUrl, PrinterSettings
from kassa.proxy.status import (
    QUERY_OFFLINE_CAUSE,
    QUERY_PAPER,
    QUERY_PRINTER,
    DrawerSensor,
    PrinterStatus,
    parse_status,
)


class PrinterTransport(ABC):
    """A byte pipe to a printer. Blocking; used under the printer's lock only."""

    #: whether `read` can return the printer's answers (status queries need it)
    can_read: bool = True

    def __init__(self, description: str) -> None:
        self.description = description

    @abstractmethod
    def open(self) -> None:
        """Connect if not connected; raise DeviceOffline when the printer cannot be reached."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send everything or raise DeviceWriteError (part of `data` may have arrived)."""

    @abstractmethod
    def read(self, size: int, timeout: float) -> bytes:
        """Up to `size` bytes, b"" when nothing arrived within `timeout`."""

    def discard_input(self) -> None:
        while self.read(256, 0):
            pass

    @abstractmethod
    def close(self) -> None: ...


class TcpTransport(PrinterTransport):
    """A network printer on port 9100 (raw TCP, "JetDirect"); one connection kept open."""

    def __init__(self, host: str, port: int, *, timeout: float) -> None:
        super().__init__(f"tcp://{host}:{port}")
        self.address = (host, port)
        self.timeout = timeout
        self._socket: socket.socket | None = None

    def open(self) -> None:
        if self._socket is not None and not self._peer_closed(self._socket):
            return
        self.close()
        try:
            connection = socket.create_connection(self.address, timeout=self.timeout)
        except OSError as exc:
            raise DeviceOffline(f"{self.description}: {exc.strerror or exc}") from None
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = connection

    @staticmethod
    def _peer_closed(connection: socket.socket) -> bool:
        """A kept connection the printer closed (restart, idle timeout) reads as EOF."""
        try:
            readable, _, _ = select.select([connection], [], [], 0)
            return bool(readable) and not connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def write(self, data: bytes) -> None:
        connection = self._connected()
        try:
            connection.settimeout(self.timeout)
            connection.sendall(data)
        except OSError as exc:
            self.close()
            raise DeviceWriteError(f"{self.description}: {exc.strerror or exc}") from None

    def read(self, size: int, timeout: float) -> bytes:
        connection = self._connected()
        try:
            ready, _, _ = select.select([connection], [], [], timeout)
            if not ready:
                return b""
            data = connection.recv(size)
        except OSError as exc:
            self.close()
            raise DeviceOffline(f"{self.description}: {exc.strerror or exc}") from None
        if not data:
            self.close()
            raise DeviceOffline(f"{self.description}: connection closed by the printer")
        return data

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _connected(self) -> socket.socket:
        if self._socket is None:
            raise DeviceOffline(f"{self.description}: not connected")
        return self._socket


class SerialTransport(PrinterTransport):
    """A serial printer. `dsrdtr` is off unless the URL asks for it (python-escpos pitfall)."""

    def __init__(self, url: DeviceUrl, *, timeout: float) -> None:
        super().__init__(url.raw)
        self.url = url
        self.timeout = timeout
        self._serial_options = url.serial_options()
        self._port: Any = None

    def open(self) -> None:
        if self._port is not None:
            return
        import serial

        try:
            self._port = serial.Serial(
                self.url.path, **self._serial_options, timeout=0, write_timeout=self.timeout
            )
        except (OSError, ValueError, serial.SerialException) as exc:
            raise DeviceOffline(f"{self.description}: {exc}") from None

    def write(self, data: bytes) -> None:
        import serial

        port = self._opened()
        try:
            port.write(data)
            port.flush()
        except (OSError, serial.SerialException) as exc:
            self.close()
            raise DeviceWriteError(f"{self.description}: {exc}") from None

    def read(self, size: int, timeout: float) -> bytes:
        import serial

        port = self._opened()
        deadline = time.monotonic() + timeout
        try:
            while True:
                data: bytes = port.read(size)
                if data or time.monotonic() >= deadline:
                    return data
                time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
        except (OSError, serial.SerialException) as exc:
            self.close()
            raise DeviceOffline(f"{self.description}: {exc}") from None

    def close(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            port.close()

    def _opened(self) -> Any:
        if self._port is None:
            raise DeviceOffline(f"{self.description}: not open")
        return self._port


class FileTransport(PrinterTransport):
    """A character device such as `/dev/usb/lp0`: write only, so no status."""

    can_read = False

    def __init__(self, path: str) -> None:
        super().__init__(f"file://{path}")
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        if self._fd is not None:
            return
        try:
            self._fd = os.open(
                self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOCTTY, 0o600
            )
        except OSError as exc:
            raise DeviceOffline(f"{self.description}: {exc.strerror}") from None

    def write(self, data: bytes) -> None:
        if self._fd is None:
            raise DeviceOffline(f"{self.description}: not open")
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            self.close()
            raise DeviceWriteError(f"{self.description}: {exc.strerror}") from None

    def read(self, size: int, timeout: float) -> bytes:
        return b""

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class UsbTransport(PrinterTransport):
    """A USB printer through libusb (pyusb): claims the printer interface, bulk in and out."""

    def __init__(self, url: DeviceUrl, *, timeout: float) -> None:
        super().__init__(url.raw)
        vendor, product = url.path.split(":")
        self.vendor, self.product = int(vendor, 16), int(product, 16)
        self.interface = url.option_int("interface", 0)
        self.out_endpoint = url.option_int("out_ep", 0)
        self.in_endpoint = url.option_int("in_ep", 0)
        self.timeout_ms = int(timeout * 1000)
        self._device: Any = None

    def open(self) -> None:
        if self._device is not None:
            return
        try:
            usb_core = importlib.import_module("usb.core")
        except ImportError:
            raise DeviceOffline(f"{self.description}: pyusb is not installed") from None
        try:
            device = usb_core.find(idVendor=self.vendor, idProduct=self.product)
            if device is None:
                raise DeviceOffline(f"{self.description}: no such USB device")
            if device.is_kernel_driver_active(self.interface):
                device.detach_kernel_driver(self.interface)
            device.set_configuration()
            interface = device.get_active_configuration()[(self.interface, 0)]
            for endpoint in interface:
                direction_in = bool(endpoint.bEndpointAddress & 0x80)
                if direction_in and not self.in_endpoint:
                    self.in_endpoint = endpoint.bEndpointAddress
                if not direction_in and not self.out_endpoint:
                    self.out_endpoint = endpoint.bEndpointAddress
        except DeviceOffline:
            raise
        except Exception as exc:  # pyusb raises USBError and NotImplementedError alike
            raise DeviceOffline(f"{self.description}: {exc}") from None
        self._device = device

    def write(self, data: bytes) -> None:
        if self._device is None:
            raise DeviceOffline(f"{self.description}: not open")
        try:
            self._device.write(self.out_endpoint, data, self.timeout_ms)
        except Exception as exc:
            self.close()
            raise DeviceWriteError(f"{self.description}: {exc}") from None

    def read(self, size: int, timeout: float) -> bytes:
        if self._device is None or not self.in_endpoint:
            return b""
        try:
            return bytes(self._device.read(self.in_endpoint, size, max(1, int(timeout * 1000))))
        except Exception as exc:
            if "timeout" in str(exc).lower():
                return b""
            self.close()
            raise DeviceOffline(f"{self.description}: {exc}") from None

    def close(self) -> None:
        if self._device is not None:
            device, self._device = self._device, None
            with contextlib.suppress(Exception):  # the device may be gone already
                importlib.import_module("usb.util").dispose_resources(device)


class Printer:
    """One receipt printer: a transport, its lock, and status queries."""

    def __init__(
        self,
        transport: PrinterTransport,
        *,
        status_query: bool = True,
        status_timeout: float = 0.5,
        drawer_sensor: DrawerSensor = "none",
    ) -> None:
        self.transport = transport
        self.status_timeout = status_timeout
        self.drawer_sensor: DrawerSensor = drawer_sensor
        self.status_supported = status_query and transport.can_read
        self.lock = threading.Lock()

    @property
    def description(self) -> str:
        return self.transport.description

    def send(self, data: bytes) -> None:
        """Open if needed and write all of `data`.

        DeviceOffline: nothing was sent. DeviceWriteError: part of it may have been.
        """
        with self.lock:
            self.transport.open()
            self.transport.write(data)

    def status(self) -> PrinterStatus:
        """Ask `DLE EOT 1, 2, 4`; no answer is `unknown`, an unreachable printer `offline`."""
        if not self.status_supported:
            return PrinterStatus(detail="this printer connection cannot report status")
        with self.lock:
            for attempt in range(2):
                try:
                    return self._query()
                except (DeviceOffline, DeviceWriteError) as exc:
                    # A kept-open connection the printer dropped: reconnect once.
                    self.transport.close()
                    if attempt == 1:
                        return PrinterStatus(state="offline", detail=exc.message)
        raise AssertionError("unreachable")

    def _query(self) -> PrinterStatus:
        self.transport.open()
        self.transport.discard_input()
        # The three questions in one write: one round trip instead of three on a network
        # printer. Real-time commands are answered in the order they arrive.
        self.transport.write(QUERY_PRINTER + QUERY_OFFLINE_CAUSE + QUERY_PAPER)
        answers: list[int | None] = []
        for _ in range(3):
            answer = self.transport.read(1, self.status_timeout)
            if not answer:
                # Silence: drop the connection so a late answer cannot be read as the
                # answer to the next question.
                self.transport.close()
                break
            answers.append(answer[0])
        answers += [None] * (3 - len(answers))
        return parse_status(answers[0], answers[1], answers[2], drawer_sensor=self.drawer_sensor)

    def close(self) -> None:
        with self.lock:
            self.transport.close()


def transport_for(url: DeviceUrl, settings: PrinterSettings) -> PrinterTransport:
    """The transport for a non-virtual printer URL."""
    if url.scheme == "tcp":
        return TcpTransport(url.host, url.port, timeout=settings.timeout)
    if url.scheme == "serial":
        return SerialTransport(url, timeout=settings.timeout)
    if url.scheme == "file":
        return FileTransport(url.path)
    if url.scheme == "usb":
        return UsbTransport(url, timeout=settings.timeout)
    raise ConfigError(f"no printer transport for {url.raw!r}")
