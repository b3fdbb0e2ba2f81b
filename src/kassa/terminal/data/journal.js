// @ts-check
/**
 * The journal in IndexedDB (docs/journal.md): the signing key, the chain's head, and the
 * atomic append.
 *
 * **Atomic append.** Every entry is written in the same IndexedDB transaction as what it
 * records (a SALE with its order's outbox entry, receipt number, session totals and receipt
 * copy), with strict durability, before anything prints. WebCrypto (hash, sign) is
 * asynchronous and a transaction commits as soon as it waits for anything but IndexedDB, so
 * an append is optimistic: read the head (and what the entry depends on, e.g. the next
 * receipt number) in one transaction; build, canonicalise, hash and sign outside any
 * transaction; then, in the writing transaction, read the head again: unchanged, write the
 * entries, the new head and the caller's records; changed (another tab appended in
 * between), abort and start again.
 *
 * Stores and meta records (data/db.js's `upgrade` made them in version 3):
 * - `journal`, key `seq`: `{seq, canonical, hash, sig, type, at, order?}`: the wire form
 *   plus what the terminal reads without parsing (`order`: a SALE's order, so the entry is
 *   sent after its order). Kept for good; nothing deletes from it.
 * - meta `journalHead`: domain/journal.js `Head`, written with every append;
 * - meta `journalKey`: `{privateKey, publicKey, spki, id, registered}`; the private key is
 *   a non-extractable CryptoKey (structured-cloneable, so IndexedDB keeps it);
 * - meta `journalServer`: `{seq, hash, status, missing}`: the server's head, i.e. the
 *   entries after `seq` are the ones to send ("to send" is this mark, not a copy);
 * - meta `journalMirrored`: the last seq the proxy's mirror has;
 * - meta `journalOffline`: `{since}` while an OFFLINE_START waits for its OFFLINE_END;
 * - meta `journalLastZ`: `{seq, z_no}` of the last Z_CLOSE this till wrote (docs/z-report.md);
 * - meta `journalRecovery`: the server's head `{seq, hash, gt_after, gt_abs_after}` while a
 *   re-paired till with no entries waits to resume its chain (the proxy's code, or Skip).
 *
 * Imports nothing of data/db.js (which imports this module).
 */
import { unwrap } from "../vendor/idb.module.js";
import {
  base64,
  buildEntry,
  clockJumpPayload,
  clockJumped,
  emptyHead,
  headAfter,
  keyId,
  readEntry,
  sealEntry,
} from "../domain/journal.js";
import { parseAmount } from "../domain/money.js";

export const JOURNAL_STORE = "journal";

/** Keys of the journal's records in the `meta` store. */
export const JOURNAL_META = Object.freeze({
  head: "journalHead",
  key: "journalKey",
  server: "journalServer",
  mirrored: "journalMirrored",
  offline: "journalOffline",
  recovery: "journalRecovery",
  lastZ: "journalLastZ",
});

/** Entries read per request when a session's entries are read back (journalSessionEntries). */
const SESSION_READ_CHUNK = 500;

/** Attempts of an append that another tab keeps overtaking. */
const APPEND_ATTEMPTS = 20;

/**
 * @typedef {import("../domain/journal.js").Head} Head
 * @typedef {import("../domain/journal.js").WireEntry} WireEntry
 * @typedef {import("../domain/journal.js").EntryCashier} EntryCashier
 *
 * @typedef {object} JournalKey
 * @property {CryptoKey} privateKey  non-extractable
 * @property {CryptoKey} publicKey
 * @property {string} spki           SPKI DER, base64
 * @property {string} id             keyId(spki)
 * @property {boolean} registered    the server has it (POST journal/key answered)
 *
 * @typedef {WireEntry & {type: string, at: string, order?: string}} StoredEntry
 *
 * @typedef {object} JournalEvent   one entry to append
 * @property {string} type
 * @property {Record<string, unknown>} [payload]
 * @property {{gt: number, gtAbs: number}} [grand]  a SALE's grand totals after it
 * @property {string} [order]        a SALE's order uuid
 *
 * @typedef {object} ServerMark
 * @property {number} seq            the server's head: entries after it are to send
 * @property {string | null} hash
 * @property {"ok" | "gap" | "quarantined" | "unknown"} status
 * @property {{from: number, to: number} | null} missing
 * @property {number} [sentUpTo]     the last seq sent (a quarantined chain is not resent over and over)
 */

/** @param {any} store idb's wrapped store @returns {IDBObjectStore} */
function raw(store) {
  return /** @type {IDBObjectStore} */ (/** @type {unknown} */ (unwrap(store)));
}

/**
 * @param {any} db
 * @returns {Promise<Head>}
 */
export async function journalHead(db) {
  return (await db.get("meta", JOURNAL_META.head)) ?? emptyHead();
}

/**
 * @param {any} db
 * @returns {Promise<JournalKey | undefined>}
 */
export function journalKey(db) {
  return db.get("meta", JOURNAL_META.key);
}

/**
 * Make this terminal's signing key (ECDSA P-256, private key non-extractable) and keep it,
 * replacing any earlier one (a new pairing gets a new key).
 * @param {any} db
 * @returns {Promise<JournalKey>}
 */
export async function makeJournalKey(db) {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  /** @type {JournalKey} */
  const key = {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    spki: base64(spki),
    id: await keyId(spki),
    registered: false,
  };
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  raw(tx.store).put(key, JOURNAL_META.key);
  await tx.done;
  return key;
}

/**
 * Remember that the server has the key.
 * @param {any} db
 * @param {string} id
 */
export async function markKeyRegistered(db, id) {
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  const key = await tx.store.get(JOURNAL_META.key);
  if (key?.id === id) raw(tx.store).put({ ...key, registered: true }, JOURNAL_META.key);
  await tx.done;
}

/**
 * @typedef {object} AppendRequest
 * @property {string} terminal                 the terminal's code
 * @property {EntryCashier} [cashier]
 * @property {() => string} now                the entries' `at` (cart.js localIsoString)
 * @property {string[]} [stores]               other stores the caller reads or writes
 * @property {(tx: any) => Promise<unknown>} [read]   reads the entries depend on, in the
 *   reading and again in the writing transaction: the append goes ahead only when both are
 *   equal (JSON). IndexedDB requests only.
 * @property {(head: Head, read: any) => JournalEvent[]} events  the entries, made from the head
 * @property {(tx: any, sealed: WireEntry[], read: any) => Promise<unknown> | unknown} [write]
 *   the caller's writes in the same transaction (IndexedDB requests only); what it returns
 *   is the append's `result`
 */

/**
 * Build, canonicalise, hash and sign `wanted` after `start` (outside any transaction); a
 * clock more than 2 minutes behind `start.at` puts a CLOCK_JUMP first.
 * @param {Head} start
 * @param {JournalEvent[]} wanted
 * @param {{key: JournalKey | undefined, terminal: string, cashier: EntryCashier, at: string}} context
 * @returns {Promise<{sealed: WireEntry[], records: StoredEntry[], next: Head}>}
 */
async function sealEvents(start, wanted, { key, terminal, cashier, at }) {
  if (wanted.length && !key) throw new Error("the journal has no signing key");
  if (wanted.length && clockJumped(start.at, at))
    wanted.unshift({ type: "CLOCK_JUMP", payload: clockJumpPayload(/** @type {string} */ (start.at), at) });
  let next = start;
  /** @type {WireEntry[]} */
  const sealed = [];
  /** @type {StoredEntry[]} */
  const records = [];
  for (const event of wanted) {
    const signer = /** @type {JournalKey} */ (key);
    const entry = buildEntry({
      terminal,
      seq: next.seq + 1,
      type: event.type,
      at,
      cashier,
      key: signer.id,
      prevHash: next.hash,
      payload: event.payload,
    });
    const wire = await sealEntry(entry, (bytes) =>
      crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signer.privateKey, bytes),
    );
    next = headAfter(next, entry, wire, event.grand);
    sealed.push(wire);
    records.push({ ...wire, type: event.type, at, ...(event.order ? { order: event.order } : {}) });
  }
  return { sealed, records, next };
}

/**
 * Append entries atomically with the caller's writes (see the module's comment). A clock
 * that went back more than 2 minutes since the last entry puts a CLOCK_JUMP first.
 * @param {any} db
 * @param {AppendRequest} request
 * @returns {Promise<{result: any, sealed: WireEntry[], head: Head}>}
 */
export async function journalAppend(db, { terminal, cashier = null, now, stores = [], read, events, write }) {
  const all = [...new Set([JOURNAL_STORE, "meta", ...stores])];
  const started = performance.now(); // bench/journal_append.py reads the measure below
  for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
    const before = db.transaction(all, "readonly");
    const [head, key, seen] = await Promise.all([
      before.objectStore("meta").get(JOURNAL_META.head),
      before.objectStore("meta").get(JOURNAL_META.key),
      read ? read(before) : undefined,
    ]);
    // Not awaiting before.done: the values are read, and its completion is one more round
    // trip through the page's task queue (docs/performance.md, Journal append).
    const start = head ?? emptyHead();
    const { sealed, records, next } = await sealEvents(start, events(start, seen), {
      key,
      terminal,
      cashier,
      at: now(),
    });

    const tx = db.transaction(all, "readwrite", { durability: "strict" });
    const meta = tx.objectStore("meta");
    const [current, again] = await Promise.all([meta.get(JOURNAL_META.head), read ? read(tx) : undefined]);
    const same =
      (current?.seq ?? 0) === start.seq &&
      (current?.hash ?? start.hash) === start.hash &&
      JSON.stringify(again) === JSON.stringify(seen);
    if (!same) {
      tx.abort();
      await tx.done.catch(() => {});
      continue; // another tab appended (or took the number): build again on the new head
    }
    const journal = raw(tx.objectStore(JOURNAL_STORE));
    for (const record of records) journal.add(record); // add: a seq taken twice aborts everything
    raw(meta).put(next, JOURNAL_META.head);
    const result = write ? await write(tx, sealed, again) : undefined;
    await tx.done;
    performance.measure("kassa:journal-append", { start: started, detail: records.map((record) => record.type) });
    return { result, sealed, head: next };
  }
  throw new Error("the journal could not be appended: other tabs kept appending");
}

/**
 * Start this browser's chain where the server's stands (a wiped till, re-paired:
 * docs/journal.md, Recovery of a wiped till), in one transaction: the entries read from
 * the proxy's mirror after the server's head, stored verbatim, each checked (canonical
 * form, chain, hash); then this pairing's own first entries (JOURNAL_RESUME, or the
 * INTEGRITY_FAILURE that declares a loss), signed with its key on the head they make. The
 * grand totals go on from the server's (`after.gt`), or from the last SALE adopted. The
 * pending recovery (meta `journalRecovery`) is cleared with them, so a reload in between
 * asks again rather than losing the choice. Nothing is written when another tab started
 * the chain first.
 * @param {any} db
 * @param {object} request
 * @param {WireEntry[]} request.entries   consecutive, ascending, from `after.seq + 1`
 * @param {{seq: number, hash: string, gt: number, gtAbs: number}} request.after  the server's head
 * @param {number} request.places         the currency's places, to read grand totals
 * @param {string} request.terminal
 * @param {() => string} request.now
 * @param {(adopted: Head) => JournalEvent[]} request.events  this pairing's first entries
 * @returns {Promise<Head | null>} the new head, or null when the chain had started already
 */
export async function journalAdopt(db, { entries, after, places, terminal, now, events }) {
  let head = { ...emptyHead(), seq: after.seq, hash: after.hash, gt: after.gt, gtAbs: after.gtAbs };
  /** @type {StoredEntry[]} */
  const adopted = [];
  for (const wire of entries) {
    if (wire.seq !== head.seq + 1) throw new Error(`mirror entry ${wire.seq} does not follow ${head.seq}`);
    const entry = await readEntry(wire, head.hash);
    const payload = /** @type {any} */ (entry.payload);
    /** @type {Head} */
    const next = { ...head, seq: wire.seq, hash: wire.hash, at: entry.at };
    if (entry.type === "SALE" || entry.type === "REFUND") {
      next.gt = parseAmount(payload.gt_after, places);
      next.gtAbs = parseAmount(payload.gt_abs_after, places);
    }
    if (entry.type === "SOFTWARE_VERSION" || entry.type === "JOURNAL_INIT") next.software = payload.software;
    head = next;
    adopted.push({
      seq: wire.seq,
      canonical: wire.canonical,
      hash: wire.hash,
      sig: wire.sig,
      type: entry.type,
      at: entry.at,
      ...(entry.type === "SALE" || entry.type === "REFUND" ? { order: payload.order } : {}),
    });
  }
  const key = await journalKey(db);
  // The till's clock against the mirror's last entry: a jump is recorded as on any append.
  const { records, next } = await sealEvents(head, events(head), { key, terminal, cashier: null, at: now() });
  const tx = db.transaction([JOURNAL_STORE, "meta"], "readwrite", { durability: "strict" });
  const meta = raw(tx.objectStore("meta"));
  if (((await tx.objectStore("meta").get(JOURNAL_META.head))?.seq ?? 0) > 0) {
    tx.abort();
    await tx.done.catch(() => {});
    return null;
  }
  const journal = raw(tx.objectStore(JOURNAL_STORE));
  for (const record of [...adopted, ...records]) journal.add(record);
  meta.put(next, JOURNAL_META.head);
  // The mirror has the adopted entries already; it gets the new ones from the sync loop.
  if (adopted.length) meta.put(head.seq, JOURNAL_META.mirrored);
  meta.delete(JOURNAL_META.recovery);
  await tx.done;
  return next;
}

/**
 * @param {any} db
 * @returns {Promise<ServerMark>}
 */
export async function journalServerMark(db) {
  return (await db.get("meta", JOURNAL_META.server)) ?? { seq: 0, hash: null, status: "unknown", missing: null };
}

/**
 * Keep what the server said of the chain (its head moves the "to send" mark).
 * @param {any} db
 * @param {Partial<ServerMark>} change
 * @returns {Promise<ServerMark>}
 */
export async function setJournalServerMark(db, change) {
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  const mark = (await tx.store.get(JOURNAL_META.server)) ?? { seq: 0, hash: null, status: "unknown", missing: null };
  const next = { ...mark, ...change };
  raw(tx.store).put(next, JOURNAL_META.server);
  await tx.done;
  return next;
}

/**
 * The entries after `after`, ascending, at most `limit`. With `heldOrders`, the list stops
 * before the first SALE whose order is still waiting in the outbox and is not in `sending`:
 * the server checks a SALE against its order, so the order goes first (or with it).
 * @param {any} db
 * @param {number} after
 * @param {{limit?: number, sending?: ReadonlySet<string>}} [options]
 * @returns {Promise<StoredEntry[]>}
 */
export async function journalAfter(db, after, { limit = 500, sending } = {}) {
  const tx = db.transaction([JOURNAL_STORE, "outbox"], "readonly");
  /** @type {StoredEntry[]} */
  const found = [];
  let cursor = await tx.objectStore(JOURNAL_STORE).openCursor(IDBKeyRange.lowerBound(after, true));
  while (cursor && found.length < limit) {
    const record = /** @type {StoredEntry} */ (cursor.value);
    if (sending && record.order && !sending.has(record.order)) {
      const queued = await tx.objectStore("outbox").get(`order:${record.order}`);
      if (queued?.state === "pending") break;
    }
    found.push(record);
    cursor = await cursor.continue();
  }
  await tx.done;
  return found;
}

/**
 * The last entry's seq (0 for none).
 * @param {any} db
 */
export async function journalLastSeq(db) {
  return (await journalHead(db)).seq;
}

/**
 * Every stored entry, ascending (tests and the outbox screen).
 * @param {any} db
 * @returns {Promise<StoredEntry[]>}
 */
export function journalAll(db) {
  return db.getAll(JOURNAL_STORE);
}

/**
 * The entries of a cash session, parsed, ascending: from its SESSION_OPEN to the last entry
 * (docs/z-report.md, Entries the Z reads). Read backwards from the head; empty when the
 * journal has no SESSION_OPEN of that session.
 * @param {any} db
 * @param {string} session  the session's uuid
 * @returns {Promise<any[]>}
 */
export async function journalSessionEntries(db, session) {
  const tx = db.transaction(JOURNAL_STORE, "readonly");
  /** @type {any[]} */
  const found = [];
  // Backwards in chunks of seqs (one request each, not one per entry: a 2,000-order
  // session is read in a few round trips).
  let upper = (await tx.store.openCursor(null, "prev"))?.key ?? 0;
  let opened = false;
  while (upper >= 1 && !opened) {
    const lower = Math.max(1, upper - SESSION_READ_CHUNK + 1);
    const records = /** @type {StoredEntry[]} */ (await tx.store.getAll(IDBKeyRange.bound(lower, upper)));
    for (let i = records.length - 1; i >= 0; i--) {
      const entry = JSON.parse(records[i].canonical);
      found.push(entry);
      if (records[i].type === "SESSION_OPEN" && entry.payload.session === session) {
        opened = true;
        break;
      }
    }
    upper = lower - 1;
  }
  await tx.done;
  return opened ? found.reverse() : [];
}

/**
 * One stored entry, parsed (its `canonical` as written), or null.
 * @param {any} db
 * @param {number} seq
 * @returns {Promise<any | null>}
 */
export async function journalEntry(db, seq) {
  const record = await db.get(JOURNAL_STORE, seq);
  return record ? JSON.parse(record.canonical) : null;
}

/**
 * @param {any} db
 * @param {string} name   a JOURNAL_META key
 * @returns {Promise<any>}
 */
export function journalMeta(db, name) {
  return db.get("meta", name);
}

/**
 * @param {any} db
 * @param {string} name
 * @param {unknown} value  undefined deletes
 */
export async function setJournalMeta(db, name, value) {
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  if (value === undefined) raw(tx.store).delete(name);
  else raw(tx.store).put(value, name);
  await tx.done;
}

/** The wire form of a stored entry. @param {StoredEntry} record @returns {WireEntry} */
export function wireOf(record) {
  return { seq: record.seq, canonical: record.canonical, hash: record.hash, sig: record.sig };
}
