// @ts-check
/** Closing the cash session: the session's figures, the counted cash and the difference. */
import { typedAmount } from "../../domain/money.js";
import { editUnsigned } from "../../domain/numpad.js";
import { setState } from "../../state/store.js";
import { closeSession, expectedCash } from "../../flows/session.js";
import { Numpad, money, useKeyboardPad } from "../components.js";
import { html, useState } from "../html.js";
import { saleState, useStore } from "../store.js";

export function CloseScreen() {
  const state = useStore();
  const { openOrders } = state;
  const { session, config, order } = saleState(state);
  const [buffer, setBuffer] = useState("");
  const [busy, setBusy] = useState(false);
  const typed = typedAmount(buffer, config.currency_places);
  const valid = buffer !== "" && typed !== null;
  const counted = valid ? /** @type {number} */ (typed) : 0;
  const expected = expectedCash(session);
  const difference = counted - expected;
  const onKey = (/** @type {string} */ key) => (key === "OK" ? undefined : setBuffer((b) => editUnsigned(b, key)));
  useKeyboardPad(onKey, { onEscape: () => setState({ view: "sale" }) });
  const openCount = openOrders.length + (order.lines.length ? 1 : 0);
  const confirm = async () => {
    setBusy(true);
    await closeSession(counted);
  };
  return html`<div class="close-screen">
    <section class="card close-figures">
      <h1>Close the cash session</h1>
      <dl class="figures">
        <div><dt>Opened</dt><dd>${new Date(session.openedAt).toLocaleString()}</dd></div>
        <div><dt>Orders</dt><dd data-test="close-orders">${session.orders}</dd></div>
        <div><dt>Sales</dt><dd>${money(session.sales)}</dd></div>
        <div><dt>Opening float</dt><dd>${money(session.openingFloat)}</dd></div>
        <div><dt>Cash taken</dt><dd>${money(session.cashIn)}</dd></div>
        <div><dt>Change given</dt><dd>−${money(session.changeOut)}</dd></div>
        <div class="strong"><dt>Expected in drawer</dt><dd data-test="close-expected">${money(expected)}</dd></div>
        <div class="strong"><dt>Counted</dt><dd data-test="close-counted">${valid ? money(counted) : "—"}</dd></div>
        <div class=${`strong ${!valid ? "" : difference === 0 ? "good" : "bad"}`}><dt>Difference</dt><dd data-test="close-difference">${valid ? money(difference) : "—"}</dd></div>
      </dl>
      ${session.adopted ? html`<p class="muted">This session was opened elsewhere: only sales made here are counted above; the server has the full figures.</p>` : null}
      ${openCount ? html`<p class="warn">${openCount} open order${openCount > 1 ? "s stay" : " stays"} open for the next session.</p>` : null}
    </section>
    <section class="close-entry">
      <div class="amount-display" data-test="count-amount">${valid ? money(counted) : html`<span class="muted">Count the cash</span>`}</div>
      <${Numpad} onKey=${onKey} ok=${null} test="count-pad" />
      <div class="row">
        <button type="button" class="button big" onClick=${() => setState({ view: "sale" })}>Cancel</button>
        <button type="button" class="button primary big" data-test="confirm-close" disabled=${!valid || busy} onClick=${confirm}>Close session</button>
      </div>
    </section>
  </div>`;
}
