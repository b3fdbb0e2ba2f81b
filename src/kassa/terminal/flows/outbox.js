// @ts-check
/**
 * The outbox as the cashier sees it: counts in the status bar, the list of unsynced
 * entries, *Send again* for a rejected one, *Sync now* and the export file for the back
 * office. The sync loop itself is sync/outbox.js.
 */
import { t } from "../domain/i18n.js";
import * as data from "../data/db.js";
import { exportFileName, outboxExport } from "../sync/export.js";
import { getState, setState } from "../state/store.js";
import { runtime } from "./context.js";
import { toast } from "./messages.js";

export async function refreshCounts() {
  if (!runtime.db) return;
  setState({ counts: await data.outboxCounts(runtime.db) });
}

/** Send the outbox now (menu). */
export function syncNow() {
  runtime.syncLoop?.wake();
}

/** Every entry still in the outbox (the outbox screen). @returns {Promise<any[]>} */
export async function listOutbox() {
  return data.outboxAll(runtime.db);
}

/**
 * Send a rejected entry again.
 * @param {string} key
 */
export async function requeue(key) {
  await data.outboxRequeue(runtime.db, key);
  await refreshCounts();
  runtime.syncLoop?.notifyQueued();
}

/** Download the unsynced entries as a file for the back office. */
export async function exportOutbox() {
  const { config } = getState();
  if (!config) return;
  const { document: doc, count } = await outboxExport(runtime.db, config);
  const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: exportFileName(config.code) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  toast(
    count ? t("Exported {count} unsynced entries.", { count }) : t("Nothing to export: the outbox is empty."),
    "info",
  );
}
