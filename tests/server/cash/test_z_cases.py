"""The server computes the Z as the till does: tests/shared/z_cases.json (docs/z-report.md),
the same cases `node --test tests/terminal/z.test.mjs` runs on domain/z.js."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kassa.server.cash.zreport import (
    amount,
    business_day,
    over_threshold,
    period_closes,
    period_sum,
    z_compute,
)

CASES = json.loads(
    (Path(__file__).parents[2] / "shared" / "z_cases.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES["sessions"], ids=lambda case: case["name"][:50])
def test_the_z_of_each_session(case: dict[str, Any]) -> None:
    z = z_compute(case["entries"], case["context"])
    assert z == case["z"]
    # byte for byte as the till writes it: the same keys, the same lists in the same order
    assert json.dumps(z, sort_keys=True) == json.dumps(case["z"], sort_keys=True)
    assert period_closes(z, case["context"]["previous"]) == case["period_closes"]


@pytest.mark.parametrize("case", CASES["business_days"], ids=lambda case: case["at"])
def test_business_days(case: dict[str, str]) -> None:
    assert business_day(case["at"], case["time_zone"], case["day_start"]) == case["business_day"]


@pytest.mark.parametrize("case", CASES["thresholds"], ids=lambda case: json.dumps(case))
def test_thresholds(case: dict[str, Any]) -> None:
    difference, expected = amount(case["difference"], 2), amount(case["expected"], 2)
    assert over_threshold(difference, expected, case["limit"], 2) is case["over"]


def test_a_month_of_one_z_is_that_z() -> None:
    # the golden Z's month, counted from it alone, is its own totals and grand totals
    golden = CASES["sessions"][0]["z"]
    month = period_sum([golden], period="month", places=2)
    assert (month["gross"], month["tickets"], month["zs"]) == (
        golden["totals"]["gross"],
        golden["totals"]["tickets"],
        1,
    )
    assert month["gt_after"] == golden["grand_totals"]["gt_after"]
    assert month["tax_rates"] == golden["totals"]["tax_rates"]
