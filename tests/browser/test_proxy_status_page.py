"""The proxy's status page in Chromium: the journal mirror's table.

It lives with the browser tests so that it shares their one Playwright session: a second
`sync_playwright()` inside the session's running loop is refused.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext

from kassa.proxy.server import ProxyServer
from kassa.proxy.settings import Settings
from tests.proxy.conftest import make_settings
from tests.proxy.test_api import TERMINAL
from tests.proxy.test_journal_mirror import chain

pytestmark = pytest.mark.browser

__all__ = ["make_settings"]  # the proxy tests' fixture: settings in a temporary state dir


def test_the_status_page_shows_the_mirror(make_settings: Any, context: BrowserContext) -> None:
    # given a proxy whose mirror holds three entries of POS1
    settings: Settings = make_settings(port=0, allowed_origins=[TERMINAL], pairing_code="ABCD-2345")
    entries = chain(3)
    with ProxyServer(settings, log_level="warning") as server:
        admin = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.url, headers=admin) as client:
            assert client.post("/proxy/v1/journal", json={"entries": entries}).status_code == 200
        # when its status page is opened
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        row = page.locator("#journal tbody tr")
        row.wait_for(timeout=5000)
        cells = row.locator("td").all_text_contents()
        empty_hidden = page.locator("#journal-empty").is_hidden()
    # then the mirror's row shows the terminal, its count, last seq and short hash
    assert cells[:4] == ["POS1", "3", "3", entries[2]["hash"][:12]]
    assert empty_hidden
    assert errors == []
