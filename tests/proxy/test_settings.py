"""Configuration: TOML, environment overrides, device URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kassa.proxy.devices.scanner import EvdevScanner
from kassa.proxy.errors import ConfigError
from kassa.proxy.hardware import Hardware
from kassa.proxy.settings import load_settings, normalize_origin, parse_device_url


def test_toml_then_environment(tmp_path: Path) -> None:
    # given a config file and environment overrides
    config = tmp_path / "proxy.toml"
    config.write_text(
        """
state_dir = "state"
allowed_origins = ["HTTPS://Shop.Example:443/"]
[printer]
url = "tcp://10.0.0.5:9100"
paper_width = 58
drawer_pin = 5
drawer_sensor = "open_low"
code_page = "wpc1252"
[display]
url = "serial:///dev/ttyUSB1?baudrate=9600&protocol=cd5220"
[scanner]
url = "serial:///dev/ttyACM0"
layout = "de"
""",
        encoding="utf-8",
    )
    env = {"KASSA_PRINTER": "serial:///dev/ttyUSB0?baudrate=19200", "KASSA_SCANNER": "virtual:"}

    settings = load_settings(config, env=env)

    # then the environment wins for URLs and the file for the rest
    assert settings.printer_url.scheme == "serial"
    assert settings.printer_url.path == "/dev/ttyUSB0"
    assert settings.printer_url.option_int("baudrate", 9600) == 19200
    assert settings.printer.effective_columns == 32
    assert settings.printer.drawer_pin == 5
    assert settings.printer.drawer_sensor == "open_low"
    assert settings.printer.code_page == "WPC1252"
    assert settings.display_protocol == "cd5220"
    assert settings.scanner_url.virtual
    assert settings.scanner.layout == "de"
    assert settings.file.allowed_origins == ["https://shop.example"]
    assert settings.state_dir == tmp_path / "state"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8765


def test_defaults_listen_on_loopback_with_no_devices(tmp_path: Path) -> None:
    settings = load_settings(None, env={"XDG_STATE_HOME": str(tmp_path)})
    assert (settings.host, settings.port) == ("127.0.0.1", 8765)
    assert not settings.printer_url.configured
    assert settings.printer.code_page == "CP858"
    assert settings.printer.effective_columns == 48
    assert settings.state_dir == tmp_path / "kassa-proxy"


@pytest.mark.parametrize(
    ("url", "kind", "scheme", "host", "port", "path"),
    [
        ("tcp://192.168.1.20:9100", "printer", "tcp", "192.168.1.20", 9100, ""),
        ("tcp://printer.local", "printer", "tcp", "printer.local", 9100, ""),
        ("usb://04b8:0202", "printer", "usb", "", 0, "04b8:0202"),
        ("file:///dev/usb/lp0", "printer", "file", "", 0, "/dev/usb/lp0"),
        ("serial:///dev/ttyUSB0?baudrate=19200", "printer", "serial", "", 0, "/dev/ttyUSB0"),
        ("virtual:", "display", "virtual", "", 0, ""),
        (
            "evdev:///dev/input/by-id/usb-scanner-event-kbd",
            "scanner",
            "evdev",
            "",
            0,
            "/dev/input/by-id/usb-scanner-event-kbd",
        ),
        ("", "scanner", "none", "", 0, ""),
    ],
)
def test_device_urls(url: str, kind: str, scheme: str, host: str, port: int, path: str) -> None:
    parsed = parse_device_url(url, kind)  # type: ignore[arg-type]
    assert (parsed.scheme, parsed.host, parsed.port, parsed.path) == (scheme, host, port, path)


@pytest.mark.parametrize(
    ("url", "kind", "message"),
    [
        ("tcp://10.0.0.5:9100", "display", "scheme must be one of"),
        ("evdev:///dev/input/event3", "printer", "scheme must be one of"),
        ("usb://zz:01", "printer", "VENDOR:PRODUCT"),
        ("tcp://:9100", "printer", "no host"),
        ("serial://", "scanner", "no device path"),
    ],
)
def test_bad_device_urls(url: str, kind: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_device_url(url, kind)  # type: ignore[arg-type]


def test_configuration_errors_name_the_key(tmp_path: Path) -> None:
    config = tmp_path / "proxy.toml"
    config.write_text('[printer]\ndrawer_pin = 3\ncode_page = "CP999"\n', encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"printer\.code_page: .*CP999.*printer\.drawer_pin: Input should be 2 or 5",
    ):
        load_settings(config, env={})
    config.write_text("[printer\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"proxy\.toml"):
        load_settings(config, env={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", env={})


def test_origins_are_normalised_and_checked() -> None:
    assert normalize_origin("http://LOCALHOST:8000") == "http://localhost:8000"
    assert normalize_origin("https://pos.example:443") == "https://pos.example"
    for bad in ("null", "pos.example", "https://pos.example/path", "ftp://x"):
        with pytest.raises(ValueError, match="origin"):
            normalize_origin(bad)


def test_serial_options_default_to_9600_8n1_without_flow_control() -> None:
    url = parse_device_url("serial:///dev/ttyUSB0", "printer")
    assert url.serial_options() == {
        "baudrate": 9600,
        "bytesize": 8,
        "parity": "N",
        "stopbits": 1,
        "rtscts": False,
        "dsrdtr": False,
        "xonxoff": False,
    }
    url = parse_device_url(
        "serial:///dev/ttyUSB0?baudrate=19200&bytesize=7&parity=E&stopbits=2&xonxoff=on", "printer"
    )
    assert url.serial_options() == {
        "baudrate": 19200,
        "bytesize": 7,
        "parity": "E",
        "stopbits": 2,
        "rtscts": False,
        "dsrdtr": False,
        "xonxoff": True,
    }


@pytest.mark.parametrize("device", ["printer", "display", "scanner"])
@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("baudrate=fast", "baudrate='fast' is not a number"),
        ("baudrate=-1", "baudrate=-1 is negative"),
        ("bytesize=9", "bytesize=9 is not one of 5, 6, 7, 8"),
        ("parity=X", "parity='X' is not one of N, E, O, M, S"),
        ("stopbits=3", "stopbits=3 is not one of 1, 2"),
        ("xonxoff=maybe", "xonxoff='maybe' is not a boolean"),
    ],
)
def test_a_bad_serial_option_fails_when_the_hardware_is_built(
    make_settings: Any, device: str, option: str, message: str
) -> None:
    # given a serial device whose URL has an option pyserial would refuse
    settings = make_settings(**{device: {"url": f"serial:///dev/null?{option}"}})

    # then the proxy refuses to start, instead of a worker failing at the first open
    with pytest.raises(ConfigError, match=message):
        Hardware(settings)


def test_a_urls_protocol_and_layout_win_over_the_section(make_settings: Any) -> None:
    settings = make_settings(
        display={"url": "serial:///dev/ttyUSB1?protocol=cd5220", "protocol": "epson"},
        scanner={"url": "evdev:///dev/input/event3?layout=de", "layout": "us"},
    )
    assert settings.display.protocol == settings.display_protocol == "cd5220"
    assert settings.scanner.layout == "de"
    scanner = Hardware(settings).scanner
    assert isinstance(scanner, EvdevScanner)
    assert scanner.layout == "de"


@pytest.mark.parametrize(
    ("section", "url", "message"),
    [
        ("scanner", "evdev:///dev/input/event3?layout=xx", r"scanner\.layout: Input should be"),
        ("scanner", "evdev:///dev/input/event3?layout=", r"scanner\.layout: Input should be"),
        ("display", "serial:///dev/ttyUSB1?protocol=vt100", r"display\.protocol: Input should be"),
    ],
)
def test_a_bad_protocol_or_layout_in_a_url_is_a_config_error_at_load(
    tmp_path: Path, section: str, url: str, message: str
) -> None:
    env = {f"KASSA_{section.upper()}": url, "KASSA_PROXY_STATE_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match=message):
        load_settings(None, env=env)


def test_an_older_configuration_with_money_and_receipt_words_still_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given a configuration from before the terminal decided every word and amount
    config = tmp_path / "proxy.toml"
    config.write_text(
        """
state_dir = "state"
currency = "EUR"
decimal_separator = ","
[printer]
url = "virtual:"
[printer.labels]
total = "SUMME"
change = "Rückgeld"
test_title = "Testdruck"
""",
        encoding="utf-8",
    )

    # when it is loaded
    with caplog.at_level("WARNING", logger="kassa.proxy"):
        settings = load_settings(config, env={})

    # then the retired keys are dropped with a warning, and the test page keeps its title
    assert settings.printer.labels == {"test_title": "Testdruck"}
    assert not hasattr(settings.file, "currency")
    assert not hasattr(settings.file, "decimal_separator")
    assert [record.getMessage() for record in caplog.records] == [
        "configuration: currency, decimal_separator ignored"
        " (amounts are formatted by the terminal)",
        "configuration: printer.labels.change, printer.labels.total ignored"
        " (receipt words come from the terminal)",
    ]
    assert Hardware(settings).layout.test_title == "Testdruck"


def test_other_unknown_keys_are_still_errors(tmp_path: Path) -> None:
    config = tmp_path / "proxy.toml"
    config.write_text('currency = "EUR"\ncurrencey = "EUR"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="currencey: Extra inputs are not permitted"):
        load_settings(config, env={})


def test_the_server_url_is_normalized_and_checked(tmp_path: Path) -> None:
    settings = load_settings(None, env={"KASSA_PROXY_SERVER": "HTTP://shop-server:8000/"})
    assert settings.server_url == "http://shop-server:8000"
    kept = load_settings(None, env={}, overrides={"server_url": "https://h.example/kassa/"})
    assert kept.server_url == "https://h.example/kassa"
    assert load_settings(None, env={}).server_url == ""
    for bad in ("shop-server:8000", "ftp://shop", "http://shop?x=1", "http://u@shop"):
        with pytest.raises(ConfigError, match="server_url"):
            load_settings(None, env={}, overrides={"server_url": bad})
    ca = tmp_path / "ca.pem"
    with pytest.raises(ConfigError, match="is not a file"):
        load_settings(None, env={"KASSA_PROXY_SERVER_CA": str(ca)})
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="goes with an https"):
        load_settings(None, env={"KASSA_PROXY_SERVER_CA": str(ca)})
    config = tmp_path / "proxy.toml"
    config.write_text('server_url = "https://shop"\nserver_ca_file = "ca.pem"\n')
    assert load_settings(config, env={}).server_ca_file == ca
