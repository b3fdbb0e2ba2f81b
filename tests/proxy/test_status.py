"""Real-time status bytes (DLE EOT 1, 2, 4) and what they mean; no answer is never OK."""

from __future__ import annotations

import pytest

from kassa.proxy.status import PrinterStatus, parse_status, status_byte_valid


@pytest.mark.parametrize(
    ("printer", "cause", "paper", "state", "cover", "paper_state", "fault"),
    [
        (0x12, 0x12, 0x12, "online", False, "ok", None),
        (0x12, 0x12, 0x1E, "online", False, "near_end", None),
        (0x1A, 0x32, 0x7E, "offline", False, "out", "paper_out"),
        (0x1A, 0x16, 0x12, "offline", True, "ok", "cover_open"),
        (0x1A, 0x52, 0x12, "offline", False, "ok", "error"),
        (0x1A, 0x12, 0x12, "offline", False, "ok", "offline"),
        # the printer answered the first question only: not printable, cause unknown
        (0x1A, None, None, "offline", None, "unknown", "offline"),
        (0x12, None, None, "unknown", None, "unknown", "no_answer"),
        # nothing at all, or bytes that are not status bytes
        (None, None, None, "unknown", None, "unknown", "no_answer"),
        (0x00, 0x12, 0x12, "unknown", None, "unknown", "no_answer"),
        (0xFF, 0xFF, 0xFF, "unknown", None, "unknown", "no_answer"),
        # a paper-end stop reported in the cause while the paper answer is garbage
        (0x1A, 0x32, 0x00, "offline", False, "out", "paper_out"),
    ],
)
def test_status_bytes(
    printer: int | None,
    cause: int | None,
    paper: int | None,
    state: str,
    cover: bool | None,
    paper_state: str,
    fault: str | None,
) -> None:
    status = parse_status(printer, cause, paper)
    assert (status.state, status.cover_open, status.paper, status.fault) == (
        state,
        cover,
        paper_state,
        fault,
    )


@pytest.mark.parametrize(
    ("sensor", "byte", "drawer"),
    [
        ("none", 0x16, "unknown"),
        ("open_high", 0x16, "open"),
        ("open_high", 0x12, "closed"),
        ("open_low", 0x16, "closed"),
        ("open_low", 0x12, "open"),
    ],
)
def test_drawer_sensor_polarity_is_configuration(sensor: str, byte: int, drawer: str) -> None:
    assert parse_status(byte, 0x12, 0x12, drawer_sensor=sensor).drawer == drawer  # type: ignore[arg-type]


def test_validity_mask() -> None:
    assert [value for value in range(256) if status_byte_valid(value)] == [
        value for value in range(256) if value & 0x93 == 0x12
    ]
    assert status_byte_valid(0x7E)
    assert not status_byte_valid(0x13)
    assert not status_byte_valid(None)


def test_the_default_status_is_not_ok() -> None:
    assert PrinterStatus().fault == "no_answer"
    assert PrinterStatus().as_dict()["state"] == "unknown"
