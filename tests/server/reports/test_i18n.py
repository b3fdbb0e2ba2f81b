"""The back office in German, from the committed catalog (django.mo is compiled and
committed, so a server needs no GNU gettext)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.test import Client

import kassa.server

LOCALE = Path(kassa.server.__file__).parent / "locale" / "de" / "LC_MESSAGES"


def test_the_committed_catalog_is_the_po_compiled() -> None:
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    pairs = dict(re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', po, flags=re.MULTILINE))
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    assert len(pairs) > 40
    for english, german in pairs.items():
        assert german, f"{english!r} is not translated"
        assert catalog.gettext(english) == german, english


def test_the_dashboard_in_german(admin_client: Client) -> None:
    page = admin_client.get("/admin/", headers={"accept-language": "de"})
    html = page.content.decode()
    assert "<title>Übersicht | Kassa Backoffice</title>" in html
    assert "Umsatz je Filiale" in html and "Hinweise" in html and "Kassen" in html
    english = admin_client.get("/admin/", headers={"accept-language": "en"}).content.decode()
    assert "Sales per store" in english
