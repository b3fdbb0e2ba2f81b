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


def test_a_german_z_shows_in_german_in_the_back_office() -> None:
    """The shared German case: the Z keeps the till's language, and the back office's text
    of it (cash.ztext, page and PDF) shows the German words the paper Z printed; the
    English golden Z, which carries no language, shows as before."""
    from kassa.server.cash.ztext import z_text

    (german,) = [c for c in CASES["sessions"] if c["z"]["parameters"].get("language") == "de"]
    text = "\n".join(z_text(german["z"])).casefold()
    printed = "\n".join(german["printed"]).casefold()
    for word in german["words"]["de"]:
        assert word.casefold() in printed, word
        assert word.casefold() in text, word
    for word in german["words"]["en"]:
        assert word.casefold() not in text, word
    for figure in ("39.28", "-12.50", "115.21", "-6.21", "1026.78"):
        assert figure in text and figure in printed
    english = "\n".join(z_text(CASES["sessions"][0]["z"]))
    assert "Z REPORT No. 7" in english and "Business day" in english
    assert "KOPIE" in z_text(german["z"], duplicate=True)[3]
