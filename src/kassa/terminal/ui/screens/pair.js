// @ts-check
/**
 * First run: pair this terminal with a code from the back office; then, for a wiped till
 * that had a journal, recover it from the hardware proxy (./recover.js).
 */
import { t } from "../../domain/i18n.js";
import { pair } from "../../flows/start.js";
import { html, useState } from "../html.js";
import { useStore } from "../store.js";
import { RecoverJournal } from "./recover.js";

export function PairScreen() {
  const { busy, pairError, recovery } = useStore();
  const [code, setCode] = useState("");
  if (recovery) return html`<${RecoverJournal} />`;
  return html`<div class="center-screen">
    <form class="card pair-card" onSubmit=${(/** @type {Event} */ e) => {
      e.preventDefault();
      pair(code);
    }}>
      <h1>${t("Pair this terminal")}</h1>
      <p>${t("In the back office, open Terminals, choose this till and create a pairing code. Enter it here.")}</p>
      <input class="big-input" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="ABCD-1234"
        value=${code} onInput=${(/** @type {any} */ e) => setCode(e.target.value)} data-test="pair-code" />
      <div class="form-error" role="alert">${pairError ?? ""}</div>
      <button type="submit" class="button primary big" disabled=${busy || code.trim().length < 4} data-test="pair-submit">${busy ? t("Pairing…") : t("Pair")}</button>
    </form>
  </div>`;
}
