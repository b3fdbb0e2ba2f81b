// @ts-check
/**
 * Pairing, second step for a wiped till (docs/journal.md, Recovery of a wiped till): the
 * server has this till's journal up to some entry; the entries after it that never reached
 * the server may be on the hardware proxy's mirror. The proxy's pairing code (on its status
 * page) lets the till read them and continue its chain without a gap; Skip declares them
 * lost. Nothing is sold before one or the other.
 */
import { t } from "../../domain/i18n.js";
import { recoverJournal, skipJournalRecovery } from "../../flows/start.js";
import { html, useState } from "../html.js";
import { useStore } from "../store.js";

export function RecoverJournal() {
  const { busy, recovery, hw } = useStore();
  const [code, setCode] = useState("");
  // Paired already (an earlier try read nothing or failed): no new code is needed.
  const paired = Boolean(hw?.paired);
  const ready = paired || code.trim().length >= 4;
  return html`<div class="center-screen">
    <form class="card pair-card" data-test="recover-journal"
      onSubmit=${(/** @type {Event} */ e) => {
        e.preventDefault();
        if (ready && !busy) recoverJournal(code);
      }}>
      <h1>${t("Recover this till's journal from the hardware proxy")}</h1>
      <p>${t("This till has sold before, and its browser no longer has its journal. The hardware proxy on this PC keeps a copy of every entry: with it, the entries that never reached the server are kept and the journal goes on without a gap.")}</p>
      ${
        paired
          ? html`<p>${t("The hardware proxy is paired.")}</p>`
          : html`<p>${t("Open the hardware proxy's status page{url} and enter the pairing code it shows.", { url: hw?.url ? ` (${hw.url})` : "" })}</p>
          <input class="big-input" name="proxy-code" autocomplete="off" autocapitalize="characters" spellcheck="false"
            placeholder=${t("Proxy pairing code")} value=${code} onInput=${(/** @type {any} */ e) => setCode(e.target.value)}
            data-test="recover-code" />`
      }
      <div class="form-error" role="alert" data-test="recover-error">${recovery?.error ?? ""}</div>
      <button type="submit" class="button primary big" disabled=${busy || !ready} data-test="recover-submit">
        ${busy ? t("Recovering…") : paired ? t("Read the journal from the proxy") : t("Recover the journal")}</button>
      <button type="button" class="button danger-outline" disabled=${busy} onClick=${() => skipJournalRecovery()}
        data-test="recover-skip">${t("Skip: declare entries that never reached the server as lost")}</button>
    </form>
  </div>`;
}
