"""Configuration: a TOML file, then environment variables that override it.

    kassa proxy --config /etc/kassa/proxy.toml

`KASSA_PRINTER`, `KASSA_DISPLAY` and `KASSA_SCANNER` override the device URLs;
`KASSA_PROXY_STATE_DIR`, `KASSA_PROXY_ALLOWED_ORIGINS` (comma separated),
`KASSA_PROXY_PAIRING_CODE`, `KASSA_PROXY_SERVER` (`server_url`) and
`KASSA_PROXY_SERVER_CA` (`server_ca_file`) the matching keys. Every key is documented in
docs/proxy.md.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kassa.proxy.errors import ConfigError

log = logging.getLogger("kassa.proxy")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

PRINTER_SCHEMES = frozenset({"tcp", "serial", "usb", "file", "virtual", "none"})
DISPLAY_SCHEMES = frozenset({"serial", "virtual", "none"})
SCANNER_SCHEMES = frozenset({"serial", "evdev", "virtual", "none"})

DeviceKind = Literal["printer", "display", "scanner"]
# What pyserial accepts (serial.Serial.PARITIES, BYTESIZES, STOPBITS; 1.5 is not a number here).
SERIAL_PARITIES = ("N", "E", "O", "M", "S")
SERIAL_BYTESIZES = (5, 6, 7, 8)
SERIAL_STOPBITS = (1, 2)
_SCHEMES: dict[str, frozenset[str]] = {
    "printer": PRINTER_SCHEMES,
    "display": DISPLAY_SCHEMES,
    "scanner": SCANNER_SCHEMES,
}


class SerialOptions(TypedDict):
    """The line settings of a `serial://` URL, as `serial.Serial` keyword arguments."""

    baudrate: int
    bytesize: int
    parity: str
    stopbits: int
    rtscts: bool
    dsrdtr: bool
    xonxoff: bool


@dataclass(frozen=True, slots=True)
class DeviceUrl:
    """A parsed device URL such as `tcp://10.0.0.5:9100` or `serial:///dev/ttyUSB0?baudrate=9600`."""

    scheme: str
    raw: str
    host: str = ""
    port: int = 0
    path: str = ""
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return self.scheme != "none"

    @property
    def virtual(self) -> bool:
        return self.scheme == "virtual"

    def option_int(self, name: str, default: int) -> int:
        value = self.options.get(name)
        if value is None:
            return default
        try:
            return int(value, 0)
        except ValueError:
            raise ConfigError(f"{self.raw}: option {name}={value!r} is not a number") from None

    def option_bool(self, name: str, default: bool) -> bool:
        value = self.options.get(name)
        if value is None:
            return default
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{self.raw}: option {name}={value!r} is not a boolean")

    def serial_options(self) -> SerialOptions:
        """`serial.Serial` line settings: the URL's, else pyserial's defaults (9600 8N1, no flow
        control). ConfigError for a value pyserial would refuse, so a typo fails at startup."""
        options = SerialOptions(
            baudrate=self.option_int("baudrate", 9600),
            bytesize=self.option_int("bytesize", 8),
            parity=self.options.get("parity", "N"),
            stopbits=self.option_int("stopbits", 1),
            rtscts=self.option_bool("rtscts", False),
            dsrdtr=self.option_bool("dsrdtr", False),
            xonxoff=self.option_bool("xonxoff", False),
        )
        if options["baudrate"] < 0:
            raise ConfigError(f"{self.raw}: option baudrate={options['baudrate']} is negative")
        for name, value, allowed in (
            ("bytesize", options["bytesize"], SERIAL_BYTESIZES),
            ("parity", options["parity"], SERIAL_PARITIES),
            ("stopbits", options["stopbits"], SERIAL_STOPBITS),
        ):
            if value not in allowed:
                choices = ", ".join(str(choice) for choice in allowed)
                raise ConfigError(f"{self.raw}: option {name}={value!r} is not one of {choices}")
        return options


def _query_options(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))


def parse_device_url(url: str, kind: DeviceKind) -> DeviceUrl:
    """Parse and check a device URL for `kind`; raise ConfigError with the reason."""
    raw = url.strip()
    if raw in {"", "none", "none:"}:
        return DeviceUrl(scheme="none", raw="none:")
    if raw in {"virtual", "virtual:", "virtual://"}:
        return DeviceUrl(scheme="virtual", raw="virtual:")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES[kind]:
        allowed = ", ".join(sorted(_SCHEMES[kind]))
        raise ConfigError(f"{kind} URL {raw!r}: scheme must be one of {allowed}")
    options = _query_options(parts.query)
    if scheme == "tcp":
        try:
            port = parts.port or 9100
        except ValueError:
            raise ConfigError(f"{kind} URL {raw!r}: bad port") from None
        if not parts.hostname:
            raise ConfigError(f"{kind} URL {raw!r}: no host (tcp://HOST:9100)")
        return DeviceUrl(scheme, raw, host=parts.hostname, port=port, options=options)
    if scheme == "usb":
        ids = (parts.netloc or parts.path.lstrip("/")).split(":")
        try:
            vendor, product = (int(part, 16) for part in ids)
        except ValueError:
            raise ConfigError(f"{kind} URL {raw!r}: expected usb://VENDOR:PRODUCT in hex") from None
        return DeviceUrl(scheme, raw, port=0, path=f"{vendor:04x}:{product:04x}", options=options)
    path = parts.path
    if parts.netloc:
        # serial://dev/ttyUSB0 is a common slip for serial:///dev/ttyUSB0
        path = "/" + parts.netloc + path
    if not path:
        raise ConfigError(f"{kind} URL {raw!r}: no device path")
    return DeviceUrl(scheme, raw, path=path, options=options)


_ORIGIN_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(origin: str) -> str:
    """`HTTPS://Shop.example:443/` -> `https://shop.example`; raise ValueError if not an origin."""
    parts = urlsplit(origin.strip())
    scheme = parts.scheme.lower()
    if scheme not in _ORIGIN_DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{origin!r} is not an http(s) origin")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{origin!r} is not an origin (scheme://host[:port] only)")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _ORIGIN_DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Keys of older configurations that no longer mean anything: the terminal now decides every
# word and amount on receipts and on the customer display. A configuration that still has
# them must start, so they are accepted and dropped with a warning.
RETIRED_KEYS = ("currency", "decimal_separator")
# The only label the proxy prints itself: the title of the technician's test page.
PRINTER_LABELS = ("test_title",)


def _drop_retired(data: Any, keys: tuple[str, ...], where: str, why: str) -> Any:
    if not isinstance(data, dict):
        return data  # the model validation reports a section of the wrong type
    retired = sorted(key for key in keys if key in data)
    if retired:
        log.warning("configuration: %s ignored (%s)", ", ".join(where + k for k in retired), why)
    return {key: value for key, value in data.items() if key not in retired}


class PrinterSettings(_Section):
    url: str = "none:"
    paper_width: Literal[58, 80] = 80
    columns: int | None = Field(default=None, ge=24, le=64)
    code_page: str = "CP858"
    drawer_pin: Literal[2, 5] = 2
    drawer_sensor: Literal["none", "open_high", "open_low"] = "none"
    status_query: bool = True
    status_interval: float = Field(default=2.0, gt=0, le=60)
    status_timeout: float = Field(default=0.5, gt=0, le=10)
    timeout: float = Field(default=5.0, gt=0, le=60)
    cut: Literal["full", "partial"] = "partial"
    logo: str = ""
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before")
    @classmethod
    def _test_page_labels_only(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        retired = tuple(key for key in value if key not in PRINTER_LABELS)
        return _drop_retired(
            value, retired, "printer.labels.", "receipt words come from the terminal"
        )

    @field_validator("code_page")
    @classmethod
    def _known_code_page(cls, value: str) -> str:
        from kassa.proxy.text import CODE_PAGES

        name = value.upper().replace("-", "")
        if name not in CODE_PAGES:
            raise ValueError(f"unsupported code page {value!r}; use one of {sorted(CODE_PAGES)}")
        return name

    @property
    def effective_columns(self) -> int:
        if self.columns is not None:
            return self.columns
        return 32 if self.paper_width == 58 else 48

    @property
    def dots(self) -> int:
        """Printable width in dots at 203 dpi (font A is 12 dots wide)."""
        return 384 if self.paper_width == 58 else 576


class DisplaySettings(_Section):
    url: str = "none:"
    protocol: Literal["epson", "cd5220"] = "epson"
    columns: int = Field(default=20, ge=8, le=40)
    rows: int = Field(default=2, ge=1, le=4)
    code_page: Literal["ascii", "cp437", "cp858"] = "ascii"
    welcome: list[str] = Field(default_factory=lambda: ["Welcome", ""])
    idle_seconds: float = Field(default=60.0, ge=0)


class ScannerSettings(_Section):
    url: str = "none:"
    layout: Literal["us", "uk", "de", "fr"] = "us"
    grab: bool = True


class FileSettings(_Section):
    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    state_dir: str = ""
    allowed_origins: list[str] = Field(default_factory=list)
    allowed_hosts: list[str] = Field(default_factory=list)
    pairing_code: str = ""
    # The main server whose terminal API (/api/v1/) the proxy forwards, and whose terminal
    # it serves at /pos/; "" = none (devices only, the terminal comes from the server).
    server_url: str = ""
    server_ca_file: str = ""
    server_connect_timeout: float = Field(default=3.0, gt=0, le=30)
    server_read_timeout: float = Field(default=120.0, gt=0, le=600)
    printer: PrinterSettings = Field(default_factory=PrinterSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    scanner: ScannerSettings = Field(default_factory=ScannerSettings)

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: Any) -> Any:
        return _drop_retired(data, RETIRED_KEYS, "", "amounts are formatted by the terminal")

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        return [normalize_origin(value) for value in values]

    @field_validator("server_url")
    @classmethod
    def _server_url(cls, value: str) -> str:
        return normalize_server_url(value)


def normalize_server_url(value: str) -> str:
    """`http://shop-server:8000/` -> `http://shop-server:8000`; a path prefix is kept (a
    server behind a reverse proxy under `/kassa/`). ValueError if not an http(s) URL."""
    raw = value.strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL such as http://shop-server:8000")
    if parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r}: the server URL takes no query, fragment or user")
    try:
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError:
        raise ValueError(f"{value!r}: bad port") from None
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the proxy needs, resolved: parsed device URLs, absolute state directory."""

    file: FileSettings
    state_dir: Path
    printer_url: DeviceUrl
    display_url: DeviceUrl
    scanner_url: DeviceUrl
    server_ca_file: Path | None = None

    @property
    def server_url(self) -> str:
        return self.file.server_url

    @property
    def host(self) -> str:
        return self.file.host

    @property
    def port(self) -> int:
        return self.file.port

    @property
    def printer(self) -> PrinterSettings:
        return self.file.printer

    @property
    def display(self) -> DisplaySettings:
        return self.file.display

    @property
    def scanner(self) -> ScannerSettings:
        return self.file.scanner

    @property
    def display_protocol(self) -> str:
        """The display's command set (a `?protocol=` in its URL was copied there at load)."""
        return self.display.protocol


def default_state_dir(env: Mapping[str, str]) -> Path:
    if env.get("STATE_DIRECTORY"):  # systemd's StateDirectory=
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kassa-proxy"


# Section keys a device URL may set with a query option; the URL wins over the key.
URL_OVERRIDES = (("display", "protocol"), ("scanner", "layout"))


def _url_overrides(data: dict[str, Any]) -> None:
    """Copy `?protocol=` and `?layout=` from the device URLs into their sections, so the
    section's validation checks them like a value written there."""
    for section, option in URL_OVERRIDES:
        values = data.get(section)
        if not isinstance(values, dict) or not isinstance(values.get("url"), str):
            continue  # the model validation reports a section or URL of the wrong type
        try:
            query = urlsplit(values["url"].strip()).query
        except ValueError:
            continue  # parse_device_url reports a malformed URL
        options = _query_options(query)
        if option in options:
            values[option] = options[option]


def load_settings(
    config: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read the TOML file (if any), apply the environment, then explicit `overrides`.

    `overrides` is a dict shaped like the TOML file (used by the command line and tests).
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    if config is not None:
        path = Path(config)
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    for section, variable in (
        ("printer", "KASSA_PRINTER"),
        ("display", "KASSA_DISPLAY"),
        ("scanner", "KASSA_SCANNER"),
    ):
        if env.get(variable):
            data.setdefault(section, {})["url"] = env[variable]
    if env.get("KASSA_PROXY_STATE_DIR"):
        data["state_dir"] = env["KASSA_PROXY_STATE_DIR"]
    if env.get("KASSA_PROXY_ALLOWED_ORIGINS"):
        origins = env["KASSA_PROXY_ALLOWED_ORIGINS"].split(",")
        data["allowed_origins"] = [origin.strip() for origin in origins if origin.strip()]
    if env.get("KASSA_PROXY_PAIRING_CODE"):
        data["pairing_code"] = env["KASSA_PROXY_PAIRING_CODE"]
    if env.get("KASSA_PROXY_SERVER"):
        data["server_url"] = env["KASSA_PROXY_SERVER"]
    if env.get("KASSA_PROXY_SERVER_CA"):
        data["server_ca_file"] = env["KASSA_PROXY_SERVER_CA"]
    for key, value in (overrides or {}).items():
        if isinstance(value, Mapping):
            data.setdefault(key, {}).update(value)
        else:
            data[key] = value
    _url_overrides(data)
    try:
        file = FileSettings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"configuration: {problems}") from None
    state_dir = Path(file.state_dir) if file.state_dir else default_state_dir(env)
    if config is not None and not state_dir.is_absolute():
        state_dir = Path(config).resolve().parent / state_dir
    ca_file: Path | None = None
    if file.server_ca_file:
        ca_file = Path(file.server_ca_file)
        if config is not None and not ca_file.is_absolute():
            ca_file = Path(config).resolve().parent / ca_file
        if not ca_file.is_file():
            raise ConfigError(f"server_ca_file {str(ca_file)!r} is not a file")
        if not file.server_url.startswith("https://"):
            raise ConfigError("server_ca_file goes with an https:// server_url")
    return Settings(
        server_ca_file=ca_file,
        file=file,
        state_dir=state_dir.resolve(),
        printer_url=parse_device_url(file.printer.url, "printer"),
        display_url=parse_device_url(file.display.url, "display"),
        scanner_url=parse_device_url(file.scanner.url, "scanner"),
    )
