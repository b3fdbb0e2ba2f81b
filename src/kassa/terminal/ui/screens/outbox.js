// @ts-check
/** Every entry not on the server yet; rejected ones with the server's reason and *Send again*. */
import { setState } from "../../state/store.js";
import { exportOutbox, listOutbox, requeue, syncNow } from "../../flows/outbox.js";
import { clock } from "../components.js";
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
      ? html`<b class="bad" data-test="journal-quarantined">The server quarantined this till's journal: a manager must look at it in the back office. Sales go on; entries are kept.</b>`
      : journal.status === "gap"
        ? html`<span>The server asked again for entries ${journal.missing?.from}–${journal.missing?.to}.</span>`
        : null;
  return html`<p class="muted" data-test="journal" data-status=${journal.status} data-unsent=${journal.unsent}>
    Journal: ${journal.seq} entries, ${journal.unsent ? `${journal.unsent} not yet on the server` : "all on the server"}; mirror on this PC up to ${journal.mirrored}.
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
      <button type="button" class="button back" onClick=${() => setState({ view: "sale" })}>‹ Back</button>
      <h1>Unsynced orders</h1>
      <span class="spacer"></span>
      <button type="button" class="button" onClick=${syncNow}>Sync now</button>
      <button type="button" class="button" data-test="export" onClick=${exportOutbox}>Export to file</button>
    </header>
    <${JournalLine} journal=${journal} />
    <p class="muted">${sync.online ? "The server is reachable." : "The server cannot be reached: orders are kept here and sent when it is back."} Last sync ${clock(sync.lastSyncAt)}.</p>
    <table class="outbox-table" data-test="outbox">
      <thead><tr><th>#</th><th>What</th><th>When</th><th>Status</th><th></th></tr></thead>
      <tbody>
        ${(entries ?? []).map(
          (e) => html`<tr key=${e.key} class=${e.state} data-test="outbox-entry" data-state=${e.state}>
            <td>${e.seq}</td>
            <td>${e.kind === "order" ? `Order ${e.payload.receipt_number} · ${e.payload.totals.gross}` : e.kind === "session_open" ? "Session opened" : "Session closed"}</td>
            <td>${clock(e.createdAt)}</td>
            <td>${e.state === "rejected" ? html`<b class="bad">Rejected</b><div class="reason" data-test="reason">${e.error}</div>` : "Waiting"}</td>
            <td>${e.state === "rejected" ? html`<button type="button" class="button" onClick=${() => requeue(e.key)}>Send again</button>` : null}</td>
          </tr>`,
        )}
        ${entries && entries.length === 0 ? html`<tr><td colspan="5" class="muted">Everything is on the server.</td></tr>` : null}
      </tbody>
    </table>
  </div>`;
}
