// @ts-check
/** Open the till: the opening float counted on a numpad. */
import { t } from "../../domain/i18n.js";
import { typedAmount } from "../../domain/money.js";
import { editUnsigned } from "../../domain/numpad.js";
import { openSession } from "../../flows/session.js";
import { Numpad, money, useKeyboardPad } from "../components.js";
import { html, useState } from "../html.js";
import { useStore } from "../store.js";

export function FloatScreen() {
  const { config, cashier, suggestedFloat } = useStore();
  // The float phase comes after start, which loaded the configuration.
  const places = /** @type {import("../../state/store.js").TerminalConfig} */ (config).currency_places;
  // The last Z's count less its closing drop is what should be in the drawer now.
  const [buffer, setBuffer] = useState(suggestedFloat ?? "");
  const [busy, setBusy] = useState(false);
  const typed = buffer ? typedAmount(buffer, places) : 0;
  const valid = typed !== null;
  const amount = typed ?? 0;
  const open = async () => {
    if (!valid || busy) return;
    setBusy(true);
    await openSession(amount);
  };
  const onKey = (/** @type {string} */ key) => (key === "OK" ? open() : setBuffer((b) => editUnsigned(b, key)));
  useKeyboardPad(onKey);
  return html`<div class="center-screen">
    <div class="card float-card">
      <h1>${t("Open the till")}</h1>
      <p>${t("{name}, count the cash in the drawer (the opening float).", { name: cashier?.name ?? "" })}</p>
      ${suggestedFloat ? html`<p class="muted" data-test="suggested-float">${t("The last close left {amount} in the drawer.", { amount: money(typedAmount(suggestedFloat, places) ?? 0) })}</p>` : null}
      <div class="amount-display" data-test="float-amount">${money(amount)}</div>
      <${Numpad} onKey=${onKey} ok=${null} test="float-pad" />
      <button type="button" class="button primary big" disabled=${!valid || busy} onClick=${open} data-test="open-session">${t("Open session")}</button>
    </div>
  </div>`;
}
