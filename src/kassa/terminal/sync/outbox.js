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
 *
 * The journal travels with the orders (docs/journal.md, Transport): each `orders/sync`
 * carries the entries after the server's head (at most 500, consecutive), stopping before
 * a SALE whose order is still queued and not in the same request, since the server checks
 * a SALE against its order; with no order left to send, the entries go alone
 * (`{"orders": [], "journal": [...]}`). The answer's `journal.head` moves the "to send"
 * mark; the entries stay in the journal. The key is registered (`POST journal/key`) before
 * the first entry goes. Each round also hands the proxy's mirror what it lacks
 * (sync/mirror.js).
 */
import { ApiError, NetworkError, api } from "./api.js";
import { mirrorPush } from "./mirror.js";
import {
  META,
  getSession,
  outboxMarkDone,
  outboxMarkRejected,
  outboxPending,
  saveSession,
  setMeta,
} from "../data/db.js";
import {
  journalAfter,
  journalKey,
  journalServerMark,
  markKeyRegistered,
  setJournalServerMark,
  wireOf,
} from "../data/journal.js";
import { MAX_JOURNAL_BATCH } from "../domain/journal.js";

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
 * Register the journal's public key with the server (`POST journal/key`); its answer's head
 * is where the server's copy of the chain stands. The same key again is a no-op there.
 * @param {any} db
 * @param {string} token
 * @returns {Promise<{seq: number, hash: string} | null>} the server's head, or null when the
 *   server did not take the key (not there yet, another key for this token, offline)
 */
export async function registerJournalKey(db, token) {
  const key = await journalKey(db);
  if (!key) return null;
  try {
    const answer = await api("journal/key", { token, body: { public_key: key.spki }, timeout: 10_000 });
    await markKeyRegistered(db, key.id);
    const head = answer?.head ?? { seq: 0, hash: null };
    const mark = await journalServerMark(db);
    if (head.seq >= mark.seq) await setJournalServerMark(db, { seq: head.seq, hash: head.hash });
    return head;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    if (!(error instanceof NetworkError)) console.warn("journal key not registered", error);
    return null;
  }
}

/**
 * Send every pending entry, in order, until the outbox is empty, then the journal entries
 * the server lacks. Throws NetworkError (try later) or ApiError 401 (token revoked);
 * entries sent before the failure stay done.
 * @param {any} db
 * @param {string} token
 * @param {{onProgress?: (sent: number) => void}} [options]
 * @returns {Promise<{sent: number, rejected: number}>}
 */
export async function drainOutbox(db, token, { onProgress } = {}) {
  let sent = 0;
  let rejected = 0;
  /** The server answered a journal without a `journal` part: it does not take journals yet. */
  let journalIgnored = false;
  for (;;) {
    const entries = await outboxPending(db, MAX_BATCH);
    if (entries.length === 0) {
      if (!journalIgnored && (await sendJournalAlone())) continue;
      return { sent, rejected };
    }
    const before = sent + rejected;
    try {
      await sendFront(entries);
    } finally {
      // Every round that changed the outbox is reported, also when a later step failed.
      if (sent + rejected !== before) onProgress?.(sent);
    }
  }

  /**
   * The journal entries to send with orders whose uuids are `sending` (or alone): those
   * after the server's head, once the key is registered.
   * @param {ReadonlySet<string>} sending
   */
  async function journalToSend(sending) {
    const key = await journalKey(db);
    if (!key) return [];
    if (!key.registered && !(await registerJournalKey(db, token))) return [];
    const mark = await journalServerMark(db);
    return journalAfter(db, mark.seq, { limit: MAX_JOURNAL_BATCH, sending });
  }

  /**
   * What the server said of the entries sent: its head is the new mark; a gap asks again
   * from `missing.from`.
   * @param {any} answer  the sync answer's `journal`, absent from a server without journals
   * @param {import("../data/journal.js").StoredEntry[]} entries
   */
  async function journalAnswered(answer, entries) {
    if (!answer || typeof answer !== "object") {
      journalIgnored = true;
      return;
    }
    const before = await journalServerMark(db);
    let seq = Number.isSafeInteger(answer.head?.seq) ? answer.head.seq : before.seq;
    if (answer.status === "gap" && Number.isSafeInteger(answer.missing?.from))
      seq = Math.min(seq, answer.missing.from - 1);
    await setJournalServerMark(db, {
      seq,
      hash: answer.head?.hash ?? null,
      status: answer.status ?? "unknown",
      missing: answer.missing ?? null,
      sentUpTo: entries[entries.length - 1].seq,
    });
  }

  /**
   * Journal entries with no order: returns whether the server's head moved (go again).
   * A quarantined chain gets only entries it was not sent yet.
   */
  async function sendJournalAlone() {
    const before = await journalServerMark(db);
    const entries = await journalToSend(new Set());
    if (!entries.length) return false;
    if (before.status === "quarantined" && (before.sentUpTo ?? 0) >= entries[entries.length - 1].seq) return false;
    const answer = await api("orders/sync", {
      token,
      body: { orders: [], journal: entries.map(wireOf) },
      timeout: 60_000,
    });
    await journalAnswered(answer.journal, entries);
    if (journalIgnored) return false;
    const after = await journalServerMark(db);
    return after.seq > before.seq && after.status !== "quarantined";
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
      const journal = journalIgnored ? [] : await journalToSend(new Set(batch.map((e) => e.uuid)));
      /** @type {any} */
      const body = { orders: batch.map((e) => e.payload) };
      if (journal.length) body.journal = journal.map(wireOf);
      let results;
      try {
        const answer = await api("orders/sync", { token, body, timeout: 60_000 });
        results = answer.results;
        if (journal.length) await journalAnswered(answer.journal, journal);
      } catch (error) {
        if (!isFinal(error)) throw error;
        if (journal.length) {
          // A paid order is never refused for its journal: send the orders again without it.
          console.error("the server refused the journal part of a sync", error);
          journalIgnored = true;
          return;
        }
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
 * @param {(online: boolean) => Promise<void>} [options.onReachable] after each of the leader's
 *        attempts: whether the server answered (the journal's OFFLINE_START / OFFLINE_END)
 * @param {() => void} [options.onJournalChanged]             the server's or the mirror's mark moved
 * @param {(synced: boolean) => Promise<any>} [options.getTillStatus]  what the till tells the
 *        server of itself after each round (`POST terminal/status`: the back office's dashboard)
 * @param {string | null} [options.lastSyncAt]
 * @returns {{wake: () => void, notifyQueued: () => void, stop: () => void}}
 */
export function startSyncLoop({
  db,
  getToken,
  onStatus,
  onOutboxChanged,
  onCatalogCheck,
  onReachable,
  onJournalChanged,
  getTillStatus,
  lastSyncAt = null,
}) {
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

  /**
   * Tell the server how the till is (outbox, printer, receipts owed). Without a status to
   * give it is the heartbeat `GET terminal`. A refusal other than 401 is not the sync's
   * failure: the till sells on.
   * @param {string} token
   * @param {boolean} synced
   */
  const report = async (token, synced) => {
    if (!getTillStatus) {
      await api("terminal", { token, timeout: 5_000 });
      return;
    }
    try {
      await api("terminal/status", { token, body: await getTillStatus(synced), timeout: 5_000 });
    } catch (error) {
      if (error instanceof NetworkError || (error instanceof ApiError && error.status === 401)) throw error;
      console.warn("till status not taken", error);
    }
  };

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
      // The mirror is on this PC: it is fed whether or not the server answers.
      await mirrorPush(db)
        .then((taken) => taken && onJournalChanged?.())
        .catch((error) => console.warn("journal mirror", error.message ?? error));
      const token = await getToken();
      if (!token) {
        await sleep(HEARTBEAT_MS);
        continue;
      }
      /** @type {boolean | null} */
      let reached = null;
      try {
        update({ syncing: true });
        const { sent, rejected } = await drainOutbox(db, token, { onProgress: () => onOutboxChanged() });
        if (getTillStatus || (sent === 0 && rejected === 0)) await report(token, true);
        const now = new Date().toISOString();
        await setMeta(db, META.lastSyncAt, now);
        const cameBack = status.online !== true;
        failures = 0;
        update({ online: true, authError: false, syncing: false, lastSyncAt: now });
        reached = true;
        // This tab's counts were refreshed by onProgress as entries changed; tell the others.
        if (sent || rejected) channel?.postMessage({ type: "outbox" });
        if (cameBack || Date.now() - lastCatalogCheck > CATALOG_CHECK_MS) {
          lastCatalogCheck = Date.now();
          await onCatalogCheck().catch((error) => console.warn("catalog update failed", error));
        }
      } catch (error) {
        failures++;
        if (error instanceof ApiError && error.status === 401) {
          update({ online: true, authError: true, syncing: false });
          reached = true;
        } else {
          if (!(error instanceof NetworkError)) {
            console.error("sync failed", error);
            // The server answers but took not everything: the dashboard shows what waits.
            await report(token, false).catch(() => {});
          }
          update({ online: false, syncing: false });
          reached = error instanceof NetworkError ? false : null;
        }
      }
      onJournalChanged?.();
      if (reached !== null) await onReachable?.(reached).catch((error) => console.error("journal", error));
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
