// @ts-check
/** Every entry not on the server yet; rejected ones with the server's reason and *Send again*. */
import { t } from "../../domain/i18n.js";
import { setState } from "../../state/store.js";
import { exportOutbox, listOutbox, requeue, syncNow } from "../../flows/outbox.js";
import { amountText, clock } from "../components.js";
import { html, useEffect, useState } from "../html.js";
import { useStore } from "../store.js";

/**
 * The journal's line: entries not yet on the server, the mirror, and the server's word when
 * it is not "ok" (a gap being filled, or a chain quarantined for a person to look at: the
 * till keeps selling either way).
 * @param {{journal: import("../../state/store.js").JournalState | undefined}} props
 */
function JournalLine({ journal }) {
  if (!journal) return null;
  const status =
    journal.status === "quarantined"
      ? html`<b class="bad" data-test="journal-quarantined">${t("The server quarantined this till's journal: a manager must look at it in the back office. Sales go on; entries are kept.")}</b>`
      : journal.status === "gap"
        ? html`<span>${t("The server asked again for entries {from}–{to}.", { from: journal.missing?.from ?? "", to: journal.missing?.to ?? "" })}</span>`
        : null;
  return html`<p class="muted" data-test="journal" data-status=${journal.status} data-unsent=${journal.unsent}>
    ${t("Journal: {seq} entries, {sent}; mirror on this PC up to {mirrored}.", { seq: journal.seq, sent: journal.unsent ? t("{count} not yet on the server", { count: journal.unsent }) : t("all on the server"), mirrored: journal.mirrored })}
    ${status}
  </p>`;
}

export function OutboxScreen() {
  const { counts, sync, journal } = useStore();
  const [entries, setEntries] = useState(/** @type {any[] | null} */ (null));
  useEffect(() => {
    listOutbox().then(setEntries);
  }, [counts.pending, counts.rejected]);
  return html`<div class="outbox-screen">
    <header class="outbox-head">
      <button type="button" class="button back" onClick=${() => setState({ view: "sale" })}>‹ ${t("Back")}</button>
      <h1>${t("Unsynced orders")}</h1>
      <span class="spacer"></span>
      <button type="button" class="button" onClick=${syncNow}>${t("Sync now")}</button>
      <button type="button" class="button" data-test="export" onClick=${exportOutbox}>${t("Export to file")}</button>
    </header>
    <${JournalLine} journal=${journal} />
    <p class="muted">${sync.online ? t("The server is reachable.") : t("The server cannot be reached: orders are kept here and sent when it is back.")} ${t("Last sync {time}", { time: clock(sync.lastSyncAt) })}.</p>
    <table class="outbox-table" data-test="outbox">
      <thead><tr><th>#</th><th>${t("What")}</th><th>${t("When")}</th><th>${t("Status")}</th><th></th></tr></thead>
      <tbody>
        ${(entries ?? []).map(
          (e) => html`<tr key=${e.key} class=${e.state} data-test="outbox-entry" data-state=${e.state}>
            <td>${e.seq}</td>
            <td>${e.kind === "order" ? t("Order {number} · {gross}", { number: e.payload.receipt_number, gross: amountText(e.payload.totals.gross) }) : e.kind === "session_open" ? t("Session opened") : t("Session closed")}</td>
            <td>${clock(e.createdAt)}</td>
            <td>${e.state === "rejected" ? html`<b class="bad">${t("Rejected")}</b><div class="reason" data-test="reason">${e.error}</div>` : t("Waiting")}</td>
            <td>${e.state === "rejected" ? html`<button type="button" class="button" onClick=${() => requeue(e.key)}>${t("Send again")}</button>` : null}</td>
          </tr>`,
        )}
        ${entries && entries.length === 0 ? html`<tr><td colspan="5" class="muted">${t("Everything is on the server.")}</td></tr>` : null}
      </tbody>
    </table>
  </div>`;
}
