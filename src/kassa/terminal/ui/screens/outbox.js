// @ts-check
/** Every entry not on the server yet; rejected ones with the server's reason and *Send again*. */
import { setState } from "../../state/store.js";
import { exportOutbox, listOutbox, requeue, syncNow } from "../../flows/outbox.js";
import { clock } from "../components.js";
import { html, useEffect, useState } from "../html.js";
import { useStore } from "../store.js";

export function OutboxScreen() {
  const { counts, sync } = useStore();
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
