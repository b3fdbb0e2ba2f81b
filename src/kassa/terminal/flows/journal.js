// @ts-check
/**
 * The till's journal as the flows use it (docs/journal.md): who and where for each entry,
 * starting the chain (a new till, a till paired before the journal existed, a wiped till
 * recovering from the proxy's mirror), the software version, OFFLINE_START / OFFLINE_END,
 * and the entries that record nothing else (LOGIN, LOGOUT, DUPLICATE, DRAWER_OPEN).
 * Entries that record a change (SALE, SESSION_OPEN, LINE_VOID, ORDER_ABANDONED) go through
 * data/db.js with that change, in its transaction (`journalWrite`).
 */
import { localIsoString } from "../domain/cart.js";
import { GENESIS_HASH } from "../domain/jcs.js";
import {
  SOFTWARE,
  initPayload,
  integrityFailurePayload,
  offlineEndPayload,
  resumePayload,
  softwarePayload,
} from "../domain/journal.js";
import { parseAmount } from "../domain/money.js";
import * as data from "../data/db.js";
import {
  JOURNAL_META,
  journalAdopt,
  journalAppend,
  journalHead,
  journalKey,
  journalMeta,
  journalServerMark,
  makeJournalKey,
  setJournalMeta,
} from "../data/journal.js";
import { mirrorLink, mirrorRead } from "../sync/mirror.js";
import { registerJournalKey } from "../sync/outbox.js";
import { getState, setState } from "../state/store.js";
import { pairingToken, runtime } from "./context.js";

/** @typedef {import("../data/journal.js").JournalEvent} JournalEvent */
/** @typedef {{id: number, name: string} | null} EntryCashier */

/** @returns {string} now, as entries and orders write it */
function now() {
  return localIsoString(new Date());
}

/**
 * Who and where, for an entry written now.
 * @param {EntryCashier} [cashier]  the cashier in the entry; the logged-in one by default
 * @returns {import("../data/db.js").JournalContext}
 */
export function journalContext(cashier) {
  const { config, cashier: current } = getState();
  const who = cashier === undefined ? current : cashier;
  return { terminal: config?.code ?? "", cashier: who ? { id: who.id, name: who.name } : null, now };
}

/**
 * Entries for data/db.js to append with its own change (saveOrder, deleteOrder, outboxAdd).
 * @param {JournalEvent[]} events
 * @param {EntryCashier} [cashier]
 * @returns {import("../data/db.js").JournalWrite}
 */
export function journalWrite(events, cashier) {
  return { ...journalContext(cashier), events };
}

/**
 * Append entries that record nothing else, then let the sync loop send them (and the
 * mirror have them).
 * @param {JournalEvent[]} events
 * @param {EntryCashier} [cashier]
 */
export async function record(events, cashier) {
  const appended = await journalAppend(runtime.db, { ...journalContext(cashier), events: () => events });
  journalChanged();
  return appended;
}

/** Something was appended: refresh the counts, wake the sync loop. */
export function journalChanged() {
  runtime.syncLoop?.notifyQueued();
  refreshJournal().catch(() => {});
}

/** The journal's figures for the outbox screen and the status bar. */
export async function refreshJournal() {
  const db = runtime.db;
  if (!db) return;
  const [head, server, mirrored] = await Promise.all([
    journalHead(db),
    journalServerMark(db),
    journalMeta(db, JOURNAL_META.mirrored),
  ]);
  setState({
    journal: {
      seq: head.seq,
      hash: head.hash,
      unsent: Math.max(0, head.seq - server.seq),
      serverSeq: server.seq,
      status: server.status,
      missing: server.missing,
      mirrored: mirrored ?? 0,
    },
  });
}

/**
 * @typedef {{seq: number, hash: string, gt_after?: string | null, gt_abs_after?: string | null}} ServerHead
 *   the server's head as `journal/key` and `journal/head` answer it
 */

/**
 * At pairing (the server is there): a new key for the new pairing, registered; its answer
 * says where the server's chain stands. A browser with no entry of its own whose chain
 * the server has (a wiped till) keeps that head as its pending recovery: the chain
 * continues after it (`ensureJournal`), from the proxy's mirror or with a declared loss.
 */
export async function journalAtPairing() {
  const db = runtime.db;
  await makeJournalKey(db);
  const token = await pairingToken();
  const server = token ? await registerJournalKey(db, token).catch(() => null) : null;
  if (server && server.seq > 0 && (await journalHead(db)).seq === 0)
    await setJournalMeta(db, JOURNAL_META.recovery, server);
}

/**
 * At every start: make sure the chain exists and says which software writes it.
 * - No key (a till paired before the journal existed): one is made now, online or not;
 *   the server gets it when it is back, and the entries wait in the outbox till then.
 * - No entry yet: the chain starts (`startChain`), unless it must first read the proxy's
 *   mirror, which needs the proxy's pairing code: then nothing is written and the answer
 *   is "proxy_code" (the pairing screen asks for it, `resumeChain` goes on).
 * - A software version other than the last recorded: SOFTWARE_VERSION.
 * @returns {Promise<"ready" | "proxy_code">}
 */
export async function ensureJournal() {
  const db = runtime.db;
  let key = await journalKey(db);
  if (!key) key = await makeJournalKey(db);
  let head = await journalHead(db);
  if (head.seq === 0) {
    const server = await serverHead(key);
    const link = await mirrorLink(db);
    if (server && server.seq > 0 && link) {
      // A chain to continue and a proxy that may hold its tail: never declared lost
      // without the cashier's word. Paired with the proxy already, the mirror is read now.
      if (!link.token) return "proxy_code";
      try {
        await startChain(server, key.spki, { mirror: true, strict: true });
      } catch (error) {
        console.warn("journal mirror not read", error);
        return "proxy_code";
      }
    } else await startChain(server, key.spki, { mirror: Boolean(link?.token) });
    head = await journalHead(db);
  }
  if (head.software !== SOFTWARE)
    await record([{ type: "SOFTWARE_VERSION", payload: softwarePayload(SOFTWARE) }], null);
  await refreshJournal();
  return "ready";
}

/**
 * Where the server's chain stands for a browser with no entry: the pending recovery kept
 * at pairing, else the key's registration now, else the last head the server gave.
 * @param {import("../data/journal.js").JournalKey} key
 * @returns {Promise<ServerHead | null>}
 */
async function serverHead(key) {
  const db = runtime.db;
  const pending = await journalMeta(db, JOURNAL_META.recovery);
  if (pending) return pending;
  const token = await pairingToken();
  const registered = token && !key.registered ? await registerJournalKey(db, token).catch(() => null) : null;
  if (registered) return registered;
  const mark = await journalServerMark(db);
  return mark.seq > 0 ? { seq: mark.seq, hash: /** @type {string} */ (mark.hash) } : null;
}

/**
 * The cashier's answer on the pairing screen: continue the chain from the proxy's mirror
 * (the proxy was just paired with its code) or, with `mirror: false`, declare that what
 * never reached the server is lost.
 * @param {{mirror: boolean}} how
 */
export async function resumeChain({ mirror }) {
  const db = runtime.db;
  const key = (await journalKey(db)) ?? (await makeJournalKey(db));
  await startChain(await serverHead(key), key.spki, { mirror, strict: mirror });
}

/**
 * The first entries of this browser's chain (docs/journal.md, Recovery of a wiped till),
 * written with the entries adopted from the mirror in one transaction:
 * - the server has nothing and the mirror nothing: JOURNAL_INIT;
 * - the mirror has entries after the server's head S, up to M: they are kept verbatim and
 *   queued for the server, then JOURNAL_RESUME at M + 1;
 * - the server has S > 0 and the mirror nothing after it (or it was not read): an
 *   INTEGRITY_FAILURE at S + 1, declaring that what never reached the server is lost
 *   (`storage_lost`).
 * The grand totals go on from the server's head (or from the last SALE adopted).
 * @param {ServerHead | null} server  the server's head (null: not known)
 * @param {string} spki  this terminal's public key, base64
 * @param {{mirror: boolean, strict?: boolean}} options  `mirror`: read the proxy's mirror
 *   (paired); `strict`: a mirror that does not answer is an error for the caller, not a loss
 */
async function startChain(server, spki, { mirror, strict = false }) {
  const db = runtime.db;
  const config = getState().config ?? (await data.getMeta(db, data.META.terminalConfig));
  const places = config?.currency_places ?? 2;
  const after = {
    seq: server && server.seq > 0 ? server.seq : 0,
    hash: server && server.seq > 0 ? server.hash : GENESIS_HASH,
    gt: server?.gt_after ? parseAmount(server.gt_after, places) : 0,
    gtAbs: server?.gt_abs_after ? parseAmount(server.gt_abs_after, places) : 0,
  };
  const base = { after, places, terminal: config?.code ?? "", now };
  /** @type {import("../domain/journal.js").WireEntry[]} */
  let mirrored = [];
  const link = mirror ? await mirrorLink(db) : null;
  if (link?.token && config?.code) {
    try {
      mirrored = await mirrorRead(link, config.code, after.seq);
    } catch (error) {
      if (strict) throw error;
      console.warn("journal mirror not read", error);
    }
  }
  if (mirrored.length) {
    try {
      await journalAdopt(db, {
        ...base,
        entries: mirrored,
        events: (head) => [{ type: "JOURNAL_RESUME", payload: resumePayload(spki, "mirror", head.seq) }],
      });
      journalChanged();
      return;
    } catch (error) {
      console.error("the mirror's entries do not chain", error);
    }
  }
  /** @type {import("../data/journal.js").JournalEvent[]} */
  const first =
    after.seq > 0
      ? [
          {
            type: "INTEGRITY_FAILURE",
            payload: integrityFailurePayload(
              "storage_lost",
              after.seq,
              "this browser's journal was lost; entries after the server's head that never reached it are lost",
            ),
          },
        ]
      : [{ type: "JOURNAL_INIT", payload: initPayload(SOFTWARE, spki) }];
  await journalAdopt(db, { ...base, entries: [], events: () => first });
  journalChanged();
}

/**
 * The sync loop's word on the server after each attempt: the journal records when the
 * till lost it and when it came back (once each, across reloads: meta `journalOffline`).
 * @param {boolean} online
 */
export async function recordReachable(online) {
  const db = runtime.db;
  if (!db || !(await journalKey(db)) || (await journalHead(db)).seq === 0) return;
  const offline = await journalMeta(db, JOURNAL_META.offline);
  if (!online && !offline) {
    const since = Date.now();
    await journalAppend(db, {
      ...journalContext(),
      events: () => [{ type: "OFFLINE_START" }],
      write: async (tx) => {
        await tx.objectStore("meta").put({ since }, JOURNAL_META.offline);
      },
    });
    journalChanged();
  } else if (online && offline) {
    await journalAppend(db, {
      ...journalContext(),
      events: () => [{ type: "OFFLINE_END", payload: offlineEndPayload(Date.now() - offline.since) }],
      write: async (tx) => {
        await tx.objectStore("meta").delete(JOURNAL_META.offline);
      },
    });
    journalChanged();
  }
}
