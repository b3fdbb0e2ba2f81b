// @ts-check
/**
 * Sending the outbox to the server, like workbox's background-sync queue: replay from the
 * front, stop at the first failure, retry with backoff.
 *
 * The outbox is one ordered queue of session openings, orders and session closings, so a
 * session always reaches the server before its orders (the server rejects an order for a
 * session it does not know). Consecutive orders go in one batch (at most MAX_BATCH).
 *
 * An entry leaves the outbox only when the server has it: `accepted` or `duplicate` (a
 * retried batch whose answer was lost). A `rejected` entry stays, marked with the server's
 * reason, for a manager to see, export or send again; it is never dropped. A network
 * failure, a timeout or a 5xx leaves everything pending and ends the attempt. A 401 means
 * the device token was revoked: nothing is sent until the terminal is paired again.
 *
 * Only one tab per terminal runs the loop (Web Lock "kassa-sync"); the others learn its
 * status over a BroadcastChannel.
 */
import { ApiError, NetworkError, api } from "./api.js";
import {
  META, getSession, outboxMarkDone, outboxMarkRejected, outboxPending, saveSession, setMeta,
} from "../data/db.js";

/** Orders per request: the server's KASSA_SYNC_MAX_BATCH default. */
export const MAX_BATCH = 200;
export const BACKOFF_MIN_MS = 1_000;
/** Kept short: a till that lost its server should notice quickly when it is back. */
export const BACKOFF_MAX_MS = 10_000;
export const HEARTBEAT_MS = 15_000;
export const CATALOG_CHECK_MS = 5 * 60_000;
export const CHANNEL = "kassa-terminal";

/**
 * Whether an error answer is the server's final word on this entry (reject it) rather than
 * something to retry.
 * @param {unknown} error
 */
function isFinal(error) {
  return error instanceof ApiError && error.status !== 401 && error.status !== 408 && error.status !== 429;
}

/**
 * Send every pending entry, in order, until the outbox is empty. Throws NetworkError (try
 * later) or ApiError 401 (token revoked); entries sent before the failure stay done.
 * @param {any} db
 * @param {string} token
 * @param {{onProgress?: (sent: number) => void}} [options]
 * @returns {Promise<{sent: number, rejected: number}>}
 */
export async function drainOutbox(db, token, { onProgress } = {}) {
  let sent = 0;
  let rejected = 0;
  for (;;) {
    const entries = await outboxPending(db, MAX_BATCH);
    if (entries.length === 0) return { sent, rejected };
    const before = sent + rejected;
    try {
      await sendFront(entries);
    } finally {
      // Every round that changed the outbox is reported, also when a later step failed.
      if (sent + rejected !== before) onProgress?.(sent);
    }
  }

  /**
   * Send the front of the queue: a batch of consecutive orders, or one session entry.
   * @param {import("../data/db.js").OutboxEntry[]} entries  pending, oldest first
   */
  async function sendFront(entries) {
    const first = entries[0];
    if (first.kind === "order") {
      const batch = [];
      for (const entry of entries) {
        if (entry.kind !== "order") break;
        batch.push(entry);
      }
      let results;
      try {
        ({ results } = await api("orders/sync", { token, body: { orders: batch.map((e) => e.payload) }, timeout: 60_000 }));
      } catch (error) {
        if (!isFinal(error)) throw error;
        // The server refused the whole request (it checks each order on its own, so this
        // is a malformed batch): every order keeps the reason.
        for (const entry of batch) {
          await outboxMarkRejected(db, entry.key, reason(error));
          rejected++;
        }
        return;
      }
      /** @type {string[]} */
      const done = [];
      for (const result of results) {
        const entry = batch[result.index];
        if (!entry || entry.uuid !== result.uuid) continue; // not ours: leave it pending
        if (result.status === "accepted" || result.status === "duplicate") done.push(entry.key);
        else {
          await outboxMarkRejected(db, entry.key, `${result.code}: ${result.message}`);
          rejected++;
        }
      }
      await outboxMarkDone(db, done);
      sent += done.length;
      if (done.length === 0 && results.length === 0) throw new NetworkError("the server answered no results");
    } else {
      try {
        if (first.kind === "session_open") {
          await api("sessions", { token, body: first.payload });
        } else {
          const { uuid, ...body } = /** @type {any} */ (first.payload);
          const closed = await api(`sessions/${uuid}/close`, { token, body });
          const session = await getSession(db, uuid);
          if (session) await saveSession(db, { ...session, server: closed });
        }
        await outboxMarkDone(db, [first.key]);
        sent++;
      } catch (error) {
        if (!isFinal(error)) throw error;
        await outboxMarkRejected(db, first.key, reason(error));
        rejected++;
      }
    }
  }
}

/** @param {unknown} error */
function reason(error) {
  return error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
}

/**
 * @typedef {object} SyncStatus
 * @property {boolean | null} online   null until the first attempt
 * @property {string | null} lastSyncAt ISO time the server last had the whole outbox
 * @property {boolean} authError        the token was refused: pair again
 * @property {boolean} syncing
 */

/**
 * The sync loop of this tab; it starts working once it holds the terminal's Web Lock.
 * @param {object} options
 * @param {any} options.db
 * @param {() => Promise<string | null>} options.getToken
 * @param {(status: SyncStatus) => void} options.onStatus     this tab's view of the status
 * @param {() => void} options.onOutboxChanged                 counts may have changed
 * @param {() => Promise<void>} options.onCatalogCheck         refresh catalog and staff (leader only)
 * @param {string | null} [options.lastSyncAt]
 * @returns {{wake: () => void, notifyQueued: () => void, stop: () => void}}
 */
export function startSyncLoop({ db, getToken, onStatus, onOutboxChanged, onCatalogCheck, lastSyncAt = null }) {
  /** @type {SyncStatus} */
  let status = { online: null, lastSyncAt, authError: false, syncing: false };
  let leader = false;
  let stopped = false;
  /** @type {(() => void) | null} */
  let wakeUp = null;
  let wokenEarly = false; // woken while sending: go round again instead of sleeping
  let failures = 0;
  let lastCatalogCheck = 0;
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;

  /** @param {Partial<SyncStatus>} change */
  const update = (change) => {
    status = { ...status, ...change };
    onStatus(status);
    if (leader) channel?.postMessage({ type: "status", status });
  };

  if (channel) {
    channel.onmessage = (event) => {
      const message = event.data;
      if (message?.type === "status" && !leader) {
        status = message.status;
        onStatus(status);
      } else if (message?.type === "queued") {
        onOutboxChanged();
        if (leader) wake();
      } else if (message?.type === "outbox") {
        onOutboxChanged();
      } else if (message?.type === "hello" && leader) {
        channel.postMessage({ type: "status", status });
      }
    };
    channel.postMessage({ type: "hello" });
  }

  const wake = () => {
    failures = 0;
    if (wakeUp) wakeUp();
    else wokenEarly = true;
  };
  /** @param {number} ms */
  const sleep = (ms) =>
    new Promise((resolve) => {
      if (wokenEarly) {
        wokenEarly = false;
        resolve(undefined);
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve(undefined);
      }
      wakeUp = done;
    });

  const loop = async () => {
    leader = true;
    update({});
    while (!stopped) {
      const token = await getToken();
      if (!token) {
        await sleep(HEARTBEAT_MS);
        continue;
      }
      try {
        update({ syncing: true });
        const { sent, rejected } = await drainOutbox(db, token, { onProgress: () => onOutboxChanged() });
        if (sent === 0 && rejected === 0) await api("terminal", { token, timeout: 5_000 });
        const now = new Date().toISOString();
        await setMeta(db, META.lastSyncAt, now);
        const cameBack = status.online !== true;
        failures = 0;
        update({ online: true, authError: false, syncing: false, lastSyncAt: now });
        // This tab's counts were refreshed by onProgress as entries changed; tell the others.
        if (sent || rejected) channel?.postMessage({ type: "outbox" });
        if (cameBack || Date.now() - lastCatalogCheck > CATALOG_CHECK_MS) {
          lastCatalogCheck = Date.now();
          await onCatalogCheck().catch((error) => console.warn("catalog update failed", error));
        }
      } catch (error) {
        failures++;
        if (error instanceof ApiError && error.status === 401) update({ online: true, authError: true, syncing: false });
        else {
          if (!(error instanceof NetworkError)) console.error("sync failed", error);
          update({ online: false, syncing: false });
        }
      }
      const delay = failures === 0 ? HEARTBEAT_MS : Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
      await sleep(delay);
    }
  };

  if (typeof navigator !== "undefined" && navigator.locks) {
    navigator.locks.request("kassa-sync", () => loop());
  } else {
    loop();
  }
  if (typeof window !== "undefined") window.addEventListener("online", wake);

  return {
    wake,
    /** Something was queued in this tab: the leader (this tab or another) sends it now. */
    notifyQueued() {
      onOutboxChanged();
      if (leader) wake();
      else channel?.postMessage({ type: "queued" });
    },
    stop() {
      stopped = true;
      wakeUp?.();
      channel?.close();
    },
  };
}
