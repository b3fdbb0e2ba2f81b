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


def test_the_status_page_lists_the_paired_terminals_and_revokes_one(
    make_settings: Any, context: BrowserContext
) -> None:
    # given a proxy with two paired terminals
    settings: Settings = make_settings(port=0, allowed_origins=[TERMINAL], pairing_code="ABCD-2345")
    with ProxyServer(settings, log_level="warning") as server:
        tokens = []
        with httpx.Client(base_url=server.url, headers={"Origin": TERMINAL}) as client:
            for label in ("Till 1 (POS1)", "Till 2 (POS2)"):
                code = server.security.pairing_code
                answer = client.post("/proxy/v1/pair", json={"code": code, "label": label})
                tokens.append(answer.json()["token"])
        # when the technician opens the status page and revokes Till 1
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(server.url + "/")
        rows = page.locator("#pairings tbody tr")
        rows.nth(1).wait_for(timeout=5000)
        assert [rows.nth(i).locator("td").first.inner_text() for i in range(2)] == [
            "Till 1 (POS1)",
            "Till 2 (POS2)",
        ]
        rows.nth(0).locator("button.revoke").click()
        rows.nth(1).wait_for(state="detached", timeout=5000)
        # then Till 1's token is refused, Till 2's still works
        with httpx.Client(base_url=server.url, headers={"Origin": TERMINAL}) as client:
            jobs = [
                client.get("/proxy/v1/jobs", headers={"Authorization": f"Bearer {t}"})
                for t in tokens
            ]
        assert [answer.status_code for answer in jobs] == [401, 200]
        assert page.locator("#pairings tbody tr td").first.inner_text() == "Till 2 (POS2)"
