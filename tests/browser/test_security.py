"""Issue 16: the terminal runs under its strict Content-Security-Policy with no violation.

The browser reports every violation as a `securitypolicyviolation` event (and on the
console); the page records them from its first script on. One till does what a cashier
does in a day in small: pairs, logs in, opens a session (the service worker installs),
sells with the receipt preview on screen (inline style attributes set through the DOM),
and closes the session.
"""

from __future__ import annotations

import pytest

from .conftest import KassaServer, Till

pytestmark = pytest.mark.browser

_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_the_terminal_runs_under_its_policy_with_no_violation(
    till: Till, server: KassaServer
) -> None:
    console: list[str] = []
    till.page.on("console", lambda message: console.append(message.text))
    till.page.add_init_script(_RECORD_VIOLATIONS)
    # given the terminal served with its policy
    response = till.page.goto(server.pos_url)
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    # when a cashier pairs, logs in, opens a session, sells and pays cash
    till.pair()
    till.login("Alice")
    till.open_session("100")
    till.wait_offline_ready()
    till.add("Baguette")
    till.add("Gift wrapping")
    till.page.click("[data-test=pay]")
    till.page.click("[data-test=quick-cash] [data-amount='500']")
    till.validate()
    till.page.wait_for_selector("[data-test=receipt-preview]")
    till.wait_synced()
    # then the browser reported no violation of the policy, from the page or its worker
    assert till.page.evaluate("window.__cspViolations") == []
    assert [text for text in console if "Content Security Policy" in text] == []
