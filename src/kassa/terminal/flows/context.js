// @ts-check
/**
 * What the flows share for the page's life: the open database, this tab's sync loop and
 * the channel to the terminal's other tabs. Set by flows/start.js; read by every flow.
 */
import { META, getMeta } from "../data/db.js";
import { CHANNEL } from "../sync/outbox.js";

/** @typedef {ReturnType<typeof import("../sync/outbox.js").startSyncLoop>} SyncLoop */

export const runtime = {
  /** @type {any} the open IndexedDB (data/db.js `openTerminalDb`), null until boot opened it */
  db: null,
  /** @type {SyncLoop | null} */
  syncLoop: null,
};

/** The other tabs of this terminal (catalog reloaded, open orders changed). */
export const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;

/** The open database, or null before boot opened it (for the device adapter). */
export function database() {
  return runtime.db;
}

/**
 * The terminal's token from its pairing with the server, or null when not paired.
 * @returns {Promise<string | null>}
 */
export async function pairingToken() {
  const pairing = await getMeta(runtime.db, META.pairing);
  return pairing?.token ?? null;
}
