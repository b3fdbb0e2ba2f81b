"""The worked layout cases the terminal's preview runs too (tests/shared/receipt_layout_cases.json):
the paper and the preview must give the same rows for the same document and width."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kassa.proxy.receipts import ReceiptDocument, layout_receipt

CASES_FILE = Path(__file__).resolve().parents[1] / "shared" / "receipt_layout_cases.json"


def load_cases() -> list[Any]:
    if not CASES_FILE.exists():
        # Written by the terminal side from docs/receipt.md; until then the proxy's own
        # cases in test_receipt_layout.py hold the rules.
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no {CASES_FILE.name} yet"))]
    cases: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["name"]) for case in cases]


@pytest.mark.parametrize("case", load_cases())
def test_the_shared_layout_case(case: dict[str, Any]) -> None:
    # given the case's document, as the terminal would send it
    document = ReceiptDocument.model_validate(case["document"])

    # when the proxy lays it out at the case's width
    rows = [row.as_dict() for row in layout_receipt(document, case["columns"])]

    # then it gives exactly the case's rows
    assert rows == case["rows"]


def test_the_shared_cases_file_holds_cases_when_present() -> None:
    if not CASES_FILE.exists():
        pytest.skip(f"no {CASES_FILE.name} yet")
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
    assert len(cases) > 0
    assert len({case["name"] for case in cases}) == len(cases)
