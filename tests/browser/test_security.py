"""Issue 16 in Chromium: the terminal runs under its strict Content-Security-Policy with
no violation, and an order the server rejects does not stall a till's outbox.

The browser reports every violation as a `securitypolicyviolation` event (and on the
console); the page records them from its first script on. One till does what a cashier
does in a day in small: pairs, logs in, opens a session (the service worker installs),
sells with the receipt preview on screen (inline style attributes set through the DOM),
and closes the session.
"""

from __future__ import annotations

import time

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


_BREAK_FIRST_ORDER = """
async () => {
  const db = await new Promise((ok, ko) => {
    const request = indexedDB.open("kassa-terminal");
    request.onsuccess = () => ok(request.result);
    request.onerror = () => ko(request.error);
  });
  const tx = db.transaction("outbox", "readwrite");
  const store = tx.objectStore("outbox");
  const all = await new Promise((ok) => {
    const request = store.index("seq").getAll();
    request.onsuccess = () => ok(request.result);
  });
  const first = all.find((entry) => entry.kind === "order");
  first.payload.cashier_id = 2 ** 63;  // beyond any 64-bit id, as a careless integrator sends
  store.put(first);
  await new Promise((ok) => { tx.oncomplete = ok; });
  db.close();
  return first.payload.receipt_number;
}
"""


def test_an_order_the_server_rejects_does_not_stall_the_outbox(
    till: Till, server: KassaServer
) -> None:
    # given a till that sold twice while its server was down
    till.start()
    till.wait_synced()
    server.stop()
    till.page.wait_for_selector("[data-test=online][data-online=false]", timeout=30_000)
    numbers = []
    for _ in range(2):
        till.add("Baguette")
        numbers.append(till.checkout("Card"))
        till.new_order()
    # and the first order in its outbox carries an id of 2^63 (issue 16 found such ids
    # failing a whole batch with a 500: the till retried it forever and synced nothing)
    assert till.page.evaluate(_BREAK_FIRST_ORDER) == numbers[0]
    # when the server is back
    server.start()
    # then the other order reaches it, and the bad one stays on the till, marked rejected
    till.page.wait_for_selector("[data-test=rejected]", state="attached", timeout=60_000)
    deadline = time.monotonic() + 30
    while [o["receipt_number"] for o in server.orders()] != [numbers[1]]:
        assert time.monotonic() < deadline, server.orders()
        time.sleep(0.5)
