// @ts-check
/**
 * The export file: everything the outbox still holds, for the back office's
 * "Import terminal export" when a till cannot reach the server. The import is idempotent
 * like the sync, so the entries stay in the outbox and are sent again later harmlessly
 * (the server answers `duplicate`).
 */
import { outboxAll } from "../data/db.js";

export const EXPORT_FORMAT = "kassa-outbox";
export const EXPORT_VERSION = 1;

/**
 * @param {any} db
 * @param {{code: string}} terminal  the terminal configuration
 * @param {Date} [now]
 * @returns {Promise<{document: object, count: number}>}
 */
export async function outboxExport(db, terminal, now = new Date()) {
  const entries = await outboxAll(db);
  const document = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    terminal: { code: terminal.code },
    exported_at: now.toISOString(),
    entries: entries.map((entry) => ({ kind: entry.kind, payload: entry.payload })),
  };
  return { document, count: entries.length };
}

/**
 * A file name for the export: kassa-POS1-20260314-1532.json
 * @param {string} code
 * @param {Date} [now]
 */
export function exportFileName(code, now = new Date()) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  return `kassa-${code.replace(/[^A-Za-z0-9_-]/g, "_")}-${stamp}.json`;
}
