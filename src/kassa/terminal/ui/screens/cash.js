// @ts-check
/** Cash in, cash out and safe drops: an amount, a reason from the back office's list, a note. */
import { t } from "../../domain/i18n.js";
import { typedAmount } from "../../domain/money.js";
import { cashMove, reasonsFor } from "../../flows/close.js";
import { setState } from "../../state/store.js";
import { html, useState } from "../html.js";
import { saleState, useStore } from "../store.js";

/** The kinds and their journal action. */
const KINDS = /** @type {const} */ ([
  ["in", "CASH_IN"],
  ["out", "CASH_OUT"],
  ["drop", "CASH_DROP"],
]);

/** @param {"in" | "out" | "drop"} kind */
function kindLabel(kind) {
  return kind === "in" ? t("Cash in") : kind === "out" ? t("Cash out") : t("Safe drop");
}

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
      <h1>${t("Cash in and out")}</h1>
      <div class="row">
        ${KINDS.map(
          ([k]) =>
            html`<button type="button" class=${`button big${kind === k ? " primary" : ""}`} data-test="move-kind" data-kind=${k} onClick=${() => {
              setKind(k);
              setReason("");
            }}>${kindLabel(k)}</button>`,
        )}
      </div>
      <input class="big-input" inputmode="decimal" placeholder=${t("Amount")} data-test="move-amount" value=${amount} onInput=${(/** @type {any} */ e) => setAmount(e.target.value)} />
      <div class="people small">
        ${reasons.map(
          (r) =>
            html`<button type="button" class=${`person${reason === r.code ? " selected" : ""}`} data-test="move-reason" data-code=${r.code} onClick=${() => setReason(r.code)}>${r.label}</button>`,
        )}
      </div>
      ${reasons.length ? null : html`<p class="form-error">${t("The back office lists no reason for this; ask a manager to add one.")}</p>`}
      <input class="big-input" maxlength="200" placeholder=${t("Note (optional)")} data-test="move-note" value=${note} onInput=${(/** @type {any} */ e) => setNote(e.target.value)} />
      <div class="row">
        <button type="button" class="button big" onClick=${back}>${t("Cancel")}</button>
        <button type="button" class="button primary big" data-test="move-submit" disabled=${!valid || busy} onClick=${submit}>${t("Record and open the drawer")}</button>
      </div>
    </div>
  </div>`;
}
