// @ts-check
/** Cash in, cash out and safe drops: an amount, a reason from the back office's list, a note. */
import { typedAmount } from "../../domain/money.js";
import { cashMove, reasonsFor } from "../../flows/close.js";
import { setState } from "../../state/store.js";
import { html, useState } from "../html.js";
import { saleState, useStore } from "../store.js";

const KINDS = /** @type {const} */ ([
  ["in", "CASH_IN", "Cash in"],
  ["out", "CASH_OUT", "Cash out"],
  ["drop", "CASH_DROP", "Safe drop"],
]);

export function CashScreen() {
  const { config } = saleState(useStore());
  const [kind, setKind] = useState(/** @type {"in" | "out" | "drop"} */ ("in"));
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const action = KINDS.find(([k]) => k === kind)?.[1] ?? "CASH_IN";
  const reasons = reasonsFor(action);
  const typed = amount.trim() ? typedAmount(amount.trim(), config.currency_places) : null;
  const valid = typed !== null && typed > 0 && reason !== "";
  const back = () => setState({ view: "sale" });
  const submit = async () => {
    if (!valid || busy) return;
    setBusy(true);
    const done = await cashMove({ kind, amount: /** @type {number} */ (typed), reason, note: note.trim() });
    setBusy(false);
    if (done) back();
  };
  return html`<div class="center-screen">
    <div class="card" data-test="cash-screen">
      <h1>Cash in and out</h1>
      <div class="row">
        ${KINDS.map(
          ([k, , label]) =>
            html`<button type="button" class=${`button big${kind === k ? " primary" : ""}`} data-test="move-kind" data-kind=${k} onClick=${() => {
              setKind(k);
              setReason("");
            }}>${label}</button>`,
        )}
      </div>
      <input class="big-input" inputmode="decimal" placeholder="Amount" data-test="move-amount" value=${amount} onInput=${(/** @type {any} */ e) => setAmount(e.target.value)} />
      <div class="people small">
        ${reasons.map(
          (r) =>
            html`<button type="button" class=${`person${reason === r.code ? " selected" : ""}`} data-test="move-reason" data-code=${r.code} onClick=${() => setReason(r.code)}>${r.label}</button>`,
        )}
      </div>
      ${reasons.length ? null : html`<p class="form-error">The back office lists no reason for this; ask a manager to add one.</p>`}
      <input class="big-input" maxlength="200" placeholder="Note (optional)" data-test="move-note" value=${note} onInput=${(/** @type {any} */ e) => setNote(e.target.value)} />
      <div class="row">
        <button type="button" class="button big" onClick=${back}>Cancel</button>
        <button type="button" class="button primary big" data-test="move-submit" disabled=${!valid || busy} onClick=${submit}>Record and open the drawer</button>
      </div>
    </div>
  </div>`;
}
