"""A till whose terminal is set to German, in Chromium: the sale screen, the payment
screen, the receipt screen, the status bar, the menu, the X report, the refund screen and the
close screen in German, amounts with a decimal comma and dates in German order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import KassaServer, Till, _cli

pytestmark = pytest.mark.browser


def test_the_sale_screen_in_german(till: Till, server: KassaServer) -> None:
    # given the back office set the till's language to German
    _cli(
        server.data_dir,
        "manage",
        "shell",
        "-c",
        "from kassa.server.terminals.models import Terminal; "
        "Terminal.objects.filter(code='POS1').update(language='de')",
    )
    # when a cashier pairs it, logs in and sells two loaves and a cola
    till.start()
    page = till.page
    assert page.get_attribute("html", "lang") == "de"
    assert page.get_attribute("[data-test=search]", "placeholder") == (
        "Name, Artikelnummer oder Barcode suchen"
    )
    till.scan(server.barcode("Sourdough loaf"))
    till.scan(server.barcode("Sourdough loaf"))
    till.scan(server.barcode("Cola 330 ml"))
    # then the words are German and the amounts German: 2 × 3,95 + 0,99 = 8,89 €
    expect(page.locator("[data-test=total]")).to_have_text(re.compile(r"^8,89\s€$"))
    text = lambda selector: page.inner_text(selector).replace("\xa0", " ")  # noqa: E731
    assert "Summe" in text(".total-label")
    assert "inkl. MwSt." in text(".total-label")
    grosses = [g.replace("\xa0", " ") for _, _, g in till.lines()]
    assert sorted(grosses) == ["0,99 €", "7,90 €"]
    assert "3,95 €" in text("[data-test=line] >> nth=0") + text("[data-test=line] >> nth=1")
    assert "Bezahlen" in text("[data-test=pay]")
    assert text("[data-test=online]") == "Online"
    assert "Zuletzt gesendet" in text("[data-test=last-sync]")
    # and the payment screen too
    page.click("[data-test=pay]")
    page.wait_for_selector("[data-test=pay-total]")
    assert text("[data-test=pay-total]") == "8,89 €"
    figures = text(".pay-figures")
    assert "Summe" in figures and "Offen" in figures and "Rückgeld" in figures
    assert "Abschließen" in text(".payment")
    # the sale paid, the X report's preview prints its words in German (domain/z_receipt.js),
    # its amounts as on every paper, with a decimal point
    till.pay("Cash")
    number = till.validate()
    # the receipt screen: its buttons and banner in German, none of the English left
    actions = text(".receipt-actions")
    assert "Bezahlt" in actions and "8,89 €" in actions
    assert "Neuer Bon" in actions and "Erneut drucken" in actions
    assert not [w for w in ("Paid", "New order", "Print again") if w in actions]
    till.new_order()
    page.click("[data-test=menu]")
    page.click("[data-test=menu-drawer] >> text=X-Bericht")
    page.wait_for_selector("[data-test=x-report]")
    x = text("[data-test=x-report]")
    assert "X-BERICHT" in x and "Kein Abschluss" in x and "Verkäufe (EUR)" in x
    assert "Summe" in x and "8.89" in x
    assert "X REPORT" not in x and "Sales" not in x
    # back to selling with the X report's German button
    page.click("[data-test=x-report] >> text=Zurück")
    till.wait_for_sale()

    def english_left(screen: str) -> list[str]:
        words = ("Back", "Refund", "Receipt", "Cancel", "Count", "Close", "Total", "Amount")
        return [w for w in words if re.search(rf"\b{w}\b", screen)]

    # the refund screen: find the sale by its number, its date in German order
    page.click("[data-test=menu]")
    page.click("[data-test=menu-drawer] >> text=Storno/Erstattung")
    page.wait_for_selector("[data-test=refund-number]")
    assert page.get_attribute("[data-test=refund-number]", "placeholder") == "Belegnummer"
    page.fill("[data-test=refund-number]", number)
    page.click("[data-test=refund-find]")
    page.wait_for_selector(f"[data-test=refund-original][data-receipt='{number}']")
    refund = text("[data-test=refund-screen]")
    assert f"Beleg {number}" in refund and "Zurück zum Bon" in refund and "Ohne Beleg" in refund
    assert re.search(r"\b\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}\b", refund), refund
    assert english_left(refund) == [], refund
    page.click("[data-test=refund-back]")
    till.wait_for_sale()
    # the close screen: its title, counting words and buttons in German
    page.click("[data-test=menu]")
    page.click("[data-test=menu-drawer] >> text=Kassensitzung schließen")
    page.wait_for_selector("[data-test=close-screen]")
    close = text("[data-test=close-screen]")
    assert "Kassenabschluss" in close and "Gezählt:" in close
    assert "Zurück zum Verkauf" in close and "Zählung buchen" in close
    assert english_left(close) == [], close
    page.click("[data-test=leave-close]")
    till.wait_for_sale()
