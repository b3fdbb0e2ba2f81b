"""`kassa export dsfinvk`: one Kassenabschluss per Z, the cash moves, float and difference
as DSFinV-K names them, refunds referencing their originals; the dsfinvk package's own
validator passes (docs/dsfinvk.md)."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from dsfinvk import models as D

from kassa.cli import main
from kassa.server.cash.models import CashSession
from kassa.server.reports.dsfinvk import dsfinvk_validate, index_xml

from ..conftest import OrderBuilder, Shop
from .conftest import DayTill

pytestmark = pytest.mark.django_db(transaction=True)


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_two_days_exported_and_validated(
    till: DayTill,
    orders: OrderBuilder,
    shop: Shop,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given day 1: a cash sale in two tax rates, a card sale, a cash in, a drop, and a
    # count 2.07 over; day 2: a refund of the first sale's first line, counted right
    day_one = [
        orders.order([orders.line(shop.cola, "2"), orders.line(shop.bread, "1")], cash="10.00"),
        orders.order([orders.line(shop.bread, "2")]),
    ]
    till.clock = "2026-11-30T12:00:00.000+01:00"
    entries = [till.open(orders.session)]
    sales = [till.sale(order) for order in day_one]
    entries += [*sales, till.move("in", "50.00"), till.move("drop", "100.00")]
    entries.append(till.count("58.00", card="7.90"))
    till.clock = "2026-11-30T20:00:00.000+01:00"
    till.sync(day_one, entries + till.close())
    second = CashSession.objects.create(
        uuid=uuid.uuid4(),
        terminal=shop.terminal,
        opened_by=shop.alice,
        opened_at=timezone.now(),
        opening_float=Decimal("58.00"),
    )
    till.clock = "2026-12-01T12:00:00.000+01:00"
    entries = [till.open(second, "58.00"), till.refund(sales[0]), till.count("56.02")]
    till.clock = "2026-12-01T20:00:00.000+01:00"
    till.sync([], entries + till.close())
    # when the owner exports Z 1 to 2
    code = main(
        [
            "export",
            "dsfinvk",
            "--terminal",
            "POS1",
            "--from",
            "1",
            "--to",
            "2",
            "--out",
            str(tmp_path),
        ]
    )
    out, err = capsys.readouterr()
    # then one archive, the dsfinvk validator finds nothing, one closing per Z
    assert (code, err) == (0, ""), err
    path = tmp_path / "dsfinvk-POS1-1-2.zip"
    assert f"DSFinV-K export written: {path}, terminal POS1, Z 1–2, 2 closings, 3 receipts" in out
    assert dsfinvk_validate(path) == []
    archive = zipfile.ZipFile(path)
    assert {"index.xml", "gdpdu-01-08-2002.dtd", "cashpointclosing.csv"} <= set(archive.namelist())
    closings = _rows(archive, "cashpointclosing.csv")
    assert [(c["Z_NR"], c["Z_BUCHUNGSTAG"], c["Z_ERSTELLUNG"]) for c in closings] == [
        ("1", "2026-11-30", "2026-11-30T20:00:00"),
        ("2", "2026-12-01", "2026-12-01T20:00:00"),
    ]
    # the float, the moves and the variance as DSFinV-K business cases
    cases = {
        (c["Z_NR"], c["GV_TYP"]): c["Z_UMS_BRUTTO"] for c in _rows(archive, "businesscases.csv")
    }
    assert cases[("1", "Anfangsbestand")] == "100,00000"
    assert cases[("1", "Einzahlung")] == "50,00000"
    assert cases[("1", "Geldtransit")] == "-100,00000"
    assert cases[("1", "DifferenzSollIst")] == "2,07000"
    assert cases[("2", "Anfangsbestand")] == "58,00000"
    assert ("2", "DifferenzSollIst") not in cases
    # the refund references its original: its Vorgang and the closing it is in
    (reference,) = _rows(archive, "references.csv")
    assert (reference["REF_TYP"], reference["REF_BON_ID"], reference["REF_Z_NR"]) == (
        "Transaktion",
        day_one[0]["uuid"],
        "1",
    )
    assert reference["Z_NR"] == "2"
    # every receipt is a Bonkopf with its lines; cash is counted to the drawer
    heads = _rows(archive, "transactions.csv")
    assert {h["BON_ID"] for h in heads} >= {order["uuid"] for order in day_one}
    lines = _rows(archive, "lines.csv")
    assert [line["GV_TYP"] for line in lines if line["BON_ID"] == day_one[0]["uuid"]] == [
        "Umsatz",
        "Umsatz",
    ]
    cash = {w["Z_NR"]: w["ZAHLART_BETRAG_WAEH"] for w in _rows(archive, "cash_per_currency.csv")}
    # day 1: float 100 + cash 10 − change 4.07 + 50 in − 100 drop + 2.07 difference =
    # the 58.00 counted; day 2: 58.00 less the 1.98 paid back
    assert cash == {"1": "58,00", "2": "56,02"}
    # and it is never written twice
    again = main(
        [
            "export",
            "dsfinvk",
            "--terminal",
            "POS1",
            "--from",
            "1",
            "--to",
            "2",
            "--out",
            str(tmp_path),
        ]
    )
    assert again == 1
    assert "never overwritten" in capsys.readouterr().err


def test_a_bad_range_writes_nothing(
    till: DayTill, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["export", "dsfinvk", "--from", "1", "--to", "3", "--out", str(tmp_path)]
    assert main([*args, "--terminal", "POS1"]) == 1
    assert "has no Z numbered 1 to 3" in capsys.readouterr().err
    assert main([*args, "--terminal", "NOPE"]) == 1
    assert "no terminal 'NOPE'" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.zip"))


def test_the_validator_names_a_malformed_value(tmp_path: Path) -> None:
    # given an archive whose amount is written with a decimal point, not a comma
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.xml", index_xml([D.Z_Waehrungen]))
        archive.writestr(
            "cash_per_currency.csv",
            "Z_KASSE_ID;Z_ERSTELLUNG;Z_NR;ZAHLART_WAEH;ZAHLART_BETRAG_WAEH\r\n"
            "POS1;2026-11-30T20:00:00;1;EUR;58.00\r\n",
        )
    # then the check says so (the package's validator only prints it)
    assert dsfinvk_validate(path) == [
        "Line 2: Value 58.00 in column 5 is not a valid decimal with 2 places"
    ]
