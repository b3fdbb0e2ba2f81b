"""The server's barcode rules against the worked cases shared with the terminal
(tests/shared/barcode_cases.json, also run by tests/terminal/barcode_cases.test.mjs).

The server stores barcodes and checks a till's in-store patterns; the terminal reads the
value out of a scanned code. So for each scan the server checks what it owns: that the
code is a barcode it would store, and that the product's barcode (the lookup code) is
the one it stores for the pattern that applies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kassa.server.catalog.barcodes import (
    DEFAULT_PATTERNS,
    BarcodeError,
    BarcodePatternError,
    barcode_normalise,
    barcode_patterns_check,
    embedded_lookup_code,
    gtin_check_digit,
)
from kassa.server.catalog.errors import CatalogErrorCode
from kassa.server.terminals.models import MAX_CURRENCY_PLACES, validate_barcode_patterns

CASES = json.loads(
    (Path(__file__).parents[2] / "shared" / "barcode_cases.json").read_text(encoding="utf-8")
)


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _patterns(case: dict[str, Any]) -> Any:
    return (
        [dict(p) for p in DEFAULT_PATTERNS] if case["patterns"] == "default" else case["patterns"]
    )


def test_the_shared_file_has_every_kind_of_case() -> None:
    assert {len(CASES[kind]) >= 7 for kind in CASES if kind != "about"} == {True}
    assert {len(c["code"]) for c in CASES["check_digits"]} == {8, 12, 13, 14}
    assert {c["places"] for c in CASES["patterns"]} == {0, 2, 3}
    assert {c["kind"] for c in CASES["scans"]} == {"weight", "price", "plain"}


@pytest.mark.parametrize("case", CASES["check_digits"], ids=_ids(CASES["check_digits"]))
def test_check_digit(case: dict[str, Any]) -> None:
    code = case["code"]
    assert (gtin_check_digit(code[:-1]) == int(code[-1])) is case["valid"]
    if case["valid"]:
        assert barcode_normalise(code) in (code, "0" + code)
    else:
        with pytest.raises(BarcodeError, match="wrong check digit") as error:
            barcode_normalise(code)
        assert error.value.code == CatalogErrorCode.BARCODE_INVALID


@pytest.mark.parametrize("case", CASES["normalise"], ids=_ids(CASES["normalise"]))
def test_normalise(case: dict[str, Any]) -> None:
    assert barcode_normalise(case["code"]) == case["stored"]


@pytest.mark.parametrize("case", CASES["not_barcodes"], ids=_ids(CASES["not_barcodes"]))
def test_not_a_barcode(case: dict[str, Any]) -> None:
    with pytest.raises(BarcodeError) as error:
        barcode_normalise(case["code"])
    assert error.value.code == CatalogErrorCode.BARCODE_INVALID


@pytest.mark.parametrize("case", CASES["patterns"], ids=_ids(CASES["patterns"]))
def test_patterns(case: dict[str, Any]) -> None:
    patterns = _patterns(case)
    if case["valid"]:
        barcode_patterns_check(patterns, places=case["places"])
    else:
        with pytest.raises(BarcodePatternError) as error:
            barcode_patterns_check(patterns, places=case["places"])
        assert error.value.code == CatalogErrorCode.BARCODE_PATTERN_INVALID
    # the back office's field validator applies the rules for the most places a till has
    if case["places"] == MAX_CURRENCY_PLACES:
        if case["valid"]:
            validate_barcode_patterns(patterns)
        else:
            with pytest.raises(ValidationError):
                validate_barcode_patterns(patterns)


@pytest.mark.parametrize("case", CASES["scans"], ids=_ids(CASES["scans"]))
def test_scan(case: dict[str, Any]) -> None:
    patterns = _patterns(case)
    barcode_patterns_check(patterns, places=case["places"])
    stored = barcode_normalise(case["code"])  # the scanned code is a barcode the server takes
    applies = case["applies"]
    if applies is None:
        # a plain code is looked up by the very form the server stores it in
        assert case["kind"] == "plain"
        assert stored == case["lookup_code"]
        return
    assert applies in patterns
    assert case["kind"] == applies["kind"]
    assert stored.startswith(applies["prefix"] + case["item_code"])
    assert len(case["item_code"]) == applies["itemDigits"]
    # the product's own barcode: value digits zeroed, check digit recomputed
    lookup = embedded_lookup_code(applies["prefix"], case["item_code"], applies["valueDigits"])
    assert lookup == case["lookup_code"]
    assert barcode_normalise(lookup) == lookup


def test_embedded_lookup_code_needs_twelve_digits() -> None:
    with pytest.raises(BarcodePatternError):
        embedded_lookup_code("21", "0005", 5)
    with pytest.raises(BarcodePatternError):
        embedded_lookup_code("2a", "00005", 5)
