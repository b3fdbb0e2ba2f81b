// @ts-check
/**
 * The terminal's IndexedDB: the one module that opens it, through the vendored idb.
 *
 * Rules kept here (idb's README and the outbox's exactly-once promise):
 * - the schema changes only in `upgrade(db, oldVersion)`, one `if (oldVersion < N)` per version;
 * - no function awaits anything but IndexedDB inside a transaction (a network call or a
 *   timer lets the transaction auto-commit half-way); callers fetch first, then store;
 * - whatever must survive a power cut (outbox entries, receipt numbers) commits with
 *   `durability: "strict"` and resolves only when the transaction is complete;
 * - writes that are not awaited one by one go to the raw IDBObjectStore (idb's `unwrap`):
 *   a failure aborts the transaction and rejects `tx.done`, without an unhandled promise
 *   per request;
 * - the products are stored as their search index (domain/search.js), a few long strings
 *   and typed arrays in the `catalog` store's "base" record, not one record per product nor
 *   product objects at all: for a million products that is a copy of some 150 MB, where a
 *   structured clone of a million objects took seconds each way (issue 17). A delta
 *   applied since is the "delta" record (changed products and removed ids) beside it, which
 *   the next full download or rebuild folds in. Until version 5 the products were objects
 *   in `productChunks` (1,000 a record); a till upgraded with them builds its index from
 *   them once at start (flows/start.js) and empties that store;
 * - a full catalog replaces the old one in one transaction, so a terminal closed half-way
 *   keeps the old catalog and its token, never half of each.
 *
 * Node has no IndexedDB: tests/terminal/db.test.mjs checks the schema with a recording
 * fake; the browser tests exercise the real thing.
 */

import { openDB, unwrap } from "../vendor/idb.module.js";
import { JOURNAL_META, JOURNAL_STORE, journalAppend } from "./journal.js";

export const DB_NAME = "kassa-terminal";
export const DB_VERSION = 5;
/** Finished orders kept on the terminal for the receipt screen and reprints. */
export const RECEIPTS_KEPT = 500;

/** Keys of the `meta` store. */
export const META = Object.freeze({
  pairing: "pairing", // {token, terminalId}
  terminalConfig: "terminalConfig", // the server's TerminalOut
  catalogToken: "catalogToken", // the change token of the stored catalog, or absent
  outboxSeq: "outboxSeq", // last outbox sequence number given
  receiptCounterPrefix: "receiptCounter:", // + receipt prefix → last number given
  currentSession: "currentSession", // uuid of the cash session open on this terminal, or absent
  lastSyncAt: "lastSyncAt", // ISO time the server last took the outbox (or found it empty)
  lockoutPrefix: "pinLockout:", // + cashier id → domain/pin.js LockoutState
  recentCursor: "recentCursor", // the server's cursor of the store's orders pulled (GET orders/recent)
  proxyPairing: "proxyPairing", // {url, token}: the hardware proxy this terminal paired with
  // and the journal's: journalHead, journalKey, journalServer, journalMirrored,
  // journalOffline (data/journal.js JOURNAL_META)
});

/**
 * @typedef {"session_open" | "order" | "session_close"} OutboxKind
 *
 * @typedef {object} OutboxEntry
 * @property {string} key           `${kind}:${uuid}`: a session's open and close share its uuid
 * @property {string} uuid          the uuid of the order or session: the server's idempotency key
 * @property {number} seq           replay order
 * @property {OutboxKind} kind
 * @property {unknown} payload      the JSON the server takes
 * @property {"pending" | "rejected"} state
 * @property {string | null} error  the server's reason when rejected
 * @property {string} createdAt     ISO 8601
 *
 * @typedef {{id: number, name: string, [field: string]: unknown}} CatalogProduct  the server's ProductOut
 *
 * @typedef {object} CatalogSnapshot
 * @property {CatalogProduct[]} products
 * @property {object[]} categories
 * @property {object[]} taxes
 * @property {number} token             the server's change token
 *
 * @typedef {object} CatalogIndexRecord  the `catalog` store's "base" (its columns in records "base:<field>")
 * @property {number} token             the server's change token it was built at
 * @property {number} format            domain/search.js INDEX_FORMAT
 * @property {import("../domain/search.js").StoredIndex} index
 *
 * @typedef {object} CatalogChangesRecord  the `catalog` store's "delta": every change since the base
 * @property {number} base              the base's token
 * @property {number} token             the token after the changes
 * @property {CatalogProduct[]} products added or changed
 * @property {number[]} deleted         product ids removed
 *
 * @typedef {any} TerminalDb  an idb IDBPDatabase opened by openTerminalDb
 */

/**
 * Open (and create or upgrade) the terminal's database.
 * @param {object} [options]
 * @param {string} [options.name]      another name for tests
 * @param {() => void} [options.onBlocking] another tab wants a newer version: the database
 *        is closed first, then this is called (reload the page)
 * @returns {Promise<TerminalDb>}
 */
export async function openTerminalDb({ name = DB_NAME, onBlocking } = {}) {
  const db = await openDB(name, DB_VERSION, {
    /** @param {any} database @param {number} oldVersion */
    upgrade(database, oldVersion) {
      upgrade(database, oldVersion);
    },
    blocking() {
      db.close();
      onBlocking?.();
    },
  });
  return db;
}

/**
 * Every schema change, in order. Called inside the versionchange transaction.
 * @param {any} db  IDBDatabase or idb's wrapper of it
 * @param {number} oldVersion 0 for a new database
 */
export function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("meta");
    db.createObjectStore("productChunks", { keyPath: "chunk" });
    db.createObjectStore("categories", { keyPath: "id" });
    db.createObjectStore("taxes", { keyPath: "id" });
    db.createObjectStore("cashiers", { keyPath: "id" });
    db.createObjectStore("paymentMethods", { keyPath: "id" });
    db.createObjectStore("orders", { keyPath: "uuid" });
    const outbox = db.createObjectStore("outbox", { keyPath: "key" });
    outbox.createIndex("seq", "seq", { unique: true });
    db.createObjectStore("sessions", { keyPath: "uuid" });
  }
  if (oldVersion < 2) {
    const receipts = db.createObjectStore("receipts", { keyPath: "uuid" });
    receipts.createIndex("seq", "seq", { unique: true });
    db.createObjectStore("searchIndex");
  }
  if (oldVersion < 3) {
    // The journal (data/journal.js): its entries by seq. Its head, key and marks are meta
    // records; nothing else changes, so a till upgrading with orders in its outbox keeps them.
    db.createObjectStore(JOURNAL_STORE, { keyPath: "seq" });
  }
  if (oldVersion < 4) {
    // The local index of recent orders (docs/refunds.md): this till's own, written with the
    // sale's finish, and the store's, pulled from the server; refunds of them work offline.
    const recent = db.createObjectStore(RECENT_STORE, { keyPath: "uuid" });
    recent.createIndex("receiptNumber", "receiptNumber");
    recent.createIndex("original", "original");
    recent.createIndex("createdAt", "createdAt");
  }
  if (oldVersion < 5) {
    // The catalog as its search index (see the top of this module); the old index cache
    // goes. productChunks stays until start has built the index from it (flows/start.js).
    db.createObjectStore("catalog");
    db.deleteObjectStore("searchIndex");
  }
}

/** The local index of recent orders: domain/refund.js RecentOrder records by uuid. */
export const RECENT_STORE = "recentOrders";

/**
 * Keep orders in the local index (the store's, pulled from the server), with the cursor to
 * pull from next time. An order this till already holds is replaced: the server's copy
 * is the same order.
 * @param {TerminalDb} db
 * @param {import("../domain/refund.js").RecentOrder[]} orders
 * @param {number} [cursor]
 */
export async function recentPut(db, orders, cursor) {
  const tx = db.transaction([RECENT_STORE, "meta"], "readwrite", { durability: "relaxed" });
  const store = raw(tx.objectStore(RECENT_STORE));
  for (const order of orders) store.put(order);
  if (cursor !== undefined) raw(tx.objectStore("meta")).put(cursor, META.recentCursor);
  await tx.done;
}

/**
 * An order of the local index, and every refund of it the index holds, by its uuid or its
 * receipt number; null when the index does not hold it.
 * @param {TerminalDb} db
 * @param {{uuid?: string, receiptNumber?: string}} key
 * @returns {Promise<{order: import("../domain/refund.js").RecentOrder, refunds: import("../domain/refund.js").RecentOrder[]} | null>}
 */
export async function recentFind(db, { uuid, receiptNumber }) {
  const tx = db.transaction(RECENT_STORE, "readonly");
  const order = uuid
    ? await tx.store.get(uuid)
    : receiptNumber
      ? await tx.store.index("receiptNumber").get(receiptNumber)
      : undefined;
  if (!order) return null;
  const refunds = await tx.store.index("original").getAll(order.uuid);
  return { order, refunds };
}

/**
 * The refunds of an order the local index holds (even when it does not hold the order).
 * @param {TerminalDb} db
 * @param {string} uuid
 * @returns {Promise<import("../domain/refund.js").RecentOrder[]>}
 */
export function recentRefundsOf(db, uuid) {
  return db.getAllFromIndex(RECENT_STORE, "original", uuid);
}

/**
 * Orders of the local index created on a day ("YYYY-MM-DD", the orders' own dates) or
 * in the last days, newest first, at most `limit`, kept when `keep` says so.
 * @param {TerminalDb} db
 * @param {{day?: string, keep: (order: import("../domain/refund.js").RecentOrder) => boolean, limit?: number}} query
 */
export async function recentSearch(db, { day, keep, limit = 50 }) {
  const tx = db.transaction(RECENT_STORE, "readonly");
  const range = day ? IDBKeyRange.bound(day, `${day}\uffff`) : null;
  /** @type {import("../domain/refund.js").RecentOrder[]} */
  const found = [];
  let cursor = await tx.store.index("createdAt").openCursor(range, "prev");
  while (cursor && found.length < limit) {
    if (keep(cursor.value)) found.push(cursor.value);
    cursor = await cursor.continue();
  }
  return found;
}

/**
 * Drop orders of the index created before `before` (ISO date-time), and refunds of them.
 * @param {TerminalDb} db
 * @param {string} before
 */
export async function recentPrune(db, before) {
  const tx = db.transaction(RECENT_STORE, "readwrite");
  let cursor = await tx.store.index("createdAt").openCursor(IDBKeyRange.upperBound(before, true));
  while (cursor) {
    cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}

/**
 * The raw IDBObjectStore of idb's wrapper, typed: writes not awaited one by one go there,
 * so a failure aborts the transaction without an unhandled rejection per request. (idb's
 * `unwrap` of an untyped value resolves to its first overload, a cursor.)
 * @param {any} store
 * @returns {IDBObjectStore}
 */
function raw(store) {
  return /** @type {IDBObjectStore} */ (/** @type {unknown} */ (unwrap(store)));
}

/**
 * @param {TerminalDb} db
 * @param {string} key
 * @returns {Promise<any>}
 */
export function getMeta(db, key) {
  return db.get("meta", key);
}

/**
 * @param {TerminalDb} db
 * @param {string} key
 * @param {unknown} value
 * @returns {Promise<void>}
 */
export async function setMeta(db, key, value) {
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  raw(tx.store).put(value, key);
  await tx.done;
}

/**
 * Replace the whole catalog in one transaction: the products' index, categories, taxes and
 * the token; a delta kept for the old catalog, and products of before version 5, go.
 * @param {TerminalDb} db
 * @param {{index: import("../domain/search.js").StoredIndex, format: number, categories: object[], taxes: object[], token: number}} catalog
 * @returns {Promise<void>}
 */
export async function putCatalogIndex(db, { index, format, categories, taxes, token }) {
  const tx = db.transaction(["catalog", "productChunks", "categories", "taxes", "meta"], "readwrite", {
    durability: "strict",
  });
  const store = raw(tx.objectStore("catalog"));
  // One record a column: Chromium refuses a value above 127 MB, and a million products'
  // index is more than that in all.
  store.clear();
  const fields = Object.keys(index);
  for (const field of fields) store.put(/** @type {any} */ (index)[field], `base:${field}`);
  store.put({ token, format, fields }, "base");
  raw(tx.objectStore("productChunks")).clear();
  replaceAll(tx.objectStore("categories"), categories);
  replaceAll(tx.objectStore("taxes"), taxes);
  raw(tx.objectStore("meta")).put(token, META.catalogToken);
  await tx.done;
}

/**
 * Keep every change since the stored index (domain/search.js catalogChanges), with the
 * categories, taxes and token that came with the latest, in one transaction.
 * @param {TerminalDb} db
 * @param {{base: number, products: CatalogProduct[], deleted: number[], categories: object[], taxes: object[], token: number}} changes
 * @returns {Promise<void>}
 */
export async function putCatalogChanges(db, { base, products, deleted, categories, taxes, token }) {
  const tx = db.transaction(["catalog", "categories", "taxes", "meta"], "readwrite", { durability: "strict" });
  /** @type {CatalogChangesRecord} */
  const record = { base, token, products, deleted };
  raw(tx.objectStore("catalog")).put(record, "delta");
  replaceAll(tx.objectStore("categories"), categories);
  replaceAll(tx.objectStore("taxes"), taxes);
  raw(tx.objectStore("meta")).put(token, META.catalogToken);
  await tx.done;
}

/**
 * Everything the sale screen needs at start, read in one transaction: the products' index
 * and the changes since (undefined when none is stored, or not asked for), and the rest.
 * @param {TerminalDb} db
 * @param {{index?: boolean}} [options]  `index: false`: not the index (a catalog just downloaded)
 * @returns {Promise<{base: CatalogIndexRecord | undefined, delta: CatalogChangesRecord | undefined, categories: any[], taxes: any[], cashiers: any[], paymentMethods: any[], token: number | undefined}>}
 */
export async function loadCatalog(db, { index = true } = {}) {
  const tx = db.transaction(["catalog", "categories", "taxes", "cashiers", "paymentMethods", "meta"], "readonly");
  const [keys, values, categories, taxes, cashiers, paymentMethods, token] = await Promise.all([
    index ? tx.objectStore("catalog").getAllKeys() : [],
    index ? tx.objectStore("catalog").getAll() : [],
    tx.objectStore("categories").getAll(),
    tx.objectStore("taxes").getAll(),
    tx.objectStore("cashiers").getAll(),
    tx.objectStore("paymentMethods").getAll(),
    tx.objectStore("meta").get(META.catalogToken),
    tx.done,
  ]);
  /** @type {Map<string, any>} */
  const records = new Map(keys.map((/** @type {string} */ key, /** @type {number} */ i) => [key, values[i]]));
  const manifest = records.get("base");
  /** @type {CatalogIndexRecord | undefined} */
  const base = manifest && {
    token: manifest.token,
    format: manifest.format,
    index: Object.fromEntries(
      manifest.fields.map((/** @type {string} */ field) => [field, records.get(`base:${field}`)]),
    ),
  };
  return { base, delta: records.get("delta"), categories, taxes, cashiers, paymentMethods, token };
}

/**
 * The products a till stored before version 5 (in id order), to build its index from once.
 * @param {TerminalDb} db
 * @returns {Promise<CatalogProduct[]>}
 */
export async function productChunksKept(db) {
  const chunks = await db.getAll("productChunks");
  return chunks.flatMap((/** @type {{products: CatalogProduct[]}} */ chunk) => chunk.products);
}

/**
 * Replace all cashiers (with their PIN verifiers).
 * @param {TerminalDb} db
 * @param {object[]} cashiers
 */
export async function putCashiers(db, cashiers) {
  const tx = db.transaction("cashiers", "readwrite", { durability: "strict" });
  replaceAll(tx.store, cashiers);
  await tx.done;
}

/**
 * Replace all payment methods (from the terminal configuration).
 * @param {TerminalDb} db
 * @param {object[]} methods
 */
export async function putPaymentMethods(db, methods) {
  const tx = db.transaction("paymentMethods", "readwrite", { durability: "strict" });
  replaceAll(tx.store, methods);
  await tx.done;
}

/**
 * @typedef {JournalContext & {events: import("./journal.js").JournalEvent[]}} JournalWrite
 *   entries to append in the same transaction (data/journal.js journalAppend)
 * @typedef {JournalContext & {events: (head: import("../domain/journal.js").Head) => import("./journal.js").JournalEvent[]}} JournalWriteFromHead
 *   entries made from the chain's head as the append finds it (a Z reads the seq it ends at)
 */

/**
 * Keep an open or parked order (a domain/cart.js Order); with `journal`, its entries
 * (LINE_VOID) in the same transaction.
 * @param {TerminalDb} db
 * @param {{uuid: string}} order
 * @param {{journal?: JournalWrite}} [options]
 */
export async function saveOrder(db, order, { journal } = {}) {
  if (journal) {
    await journalAppend(db, {
      ...journal,
      stores: ["orders"],
      events: () => journal.events,
      write: (tx) => raw(tx.objectStore("orders")).put(order),
    });
    return;
  }
  const tx = db.transaction("orders", "readwrite", { durability: "strict" });
  raw(tx.store).put(order);
  await tx.done;
}

/**
 * Drop an open order; with `journal`, its entries (ORDER_ABANDONED) in the same transaction.
 * @param {TerminalDb} db
 * @param {string} uuid
 * @param {{journal?: JournalWrite}} [options]
 */
export async function deleteOrder(db, uuid, { journal } = {}) {
  if (journal) {
    await journalAppend(db, {
      ...journal,
      stores: ["orders"],
      events: () => journal.events,
      write: (tx) => raw(tx.objectStore("orders")).delete(uuid),
    });
    return;
  }
  const tx = db.transaction("orders", "readwrite", { durability: "strict" });
  raw(tx.store).delete(uuid);
  await tx.done;
}

/**
 * @param {TerminalDb} db
 * @returns {Promise<any[]>}
 */
export function listOrders(db) {
  return db.getAll("orders");
}

/**
 * @param {TerminalDb} db
 * @param {{uuid: string}} session
 */
export async function saveSession(db, session) {
  const tx = db.transaction("sessions", "readwrite", { durability: "strict" });
  raw(tx.store).put(session);
  await tx.done;
}

/**
 * @param {TerminalDb} db
 * @param {string} uuid
 * @returns {Promise<any>}
 */
export function getSession(db, uuid) {
  return db.get("sessions", uuid);
}

/**
 * The outbox key of an entry: the server's uuid alone is not unique, because a session's
 * open and close both carry the session's uuid.
 * @param {OutboxKind} kind
 * @param {string} uuid
 * @returns {string}
 */
export function outboxKey(kind, uuid) {
  return `${kind}:${uuid}`;
}

/**
 * Queue something for the server. Resolves only once the entry is durably stored. In the
 * same transaction it can drop the open order (so a finished order cannot be finished twice),
 * store the session record, set meta records, and append journal entries (SESSION_OPEN,
 * LOGOUT at a close).
 * @param {TerminalDb} db
 * @param {{uuid: string, kind: OutboxKind, payload: unknown, createdAt: string}} entry
 * @param {{deleteOrder?: string, session?: {uuid: string}, meta?: Record<string, unknown>, journal?: JournalWrite | JournalWriteFromHead}} [also]
 *        `meta`: key → value (null deletes)
 * @returns {Promise<OutboxEntry>}
 */
export async function outboxAdd(db, entry, { deleteOrder: orderUuid, session, meta, journal } = {}) {
  const { result } = await journalAppend(db, {
    ...(journal ?? { terminal: "", cashier: null, now: () => entry.createdAt }),
    stores: ["outbox", "orders", "sessions"],
    events: (head) => (typeof journal?.events === "function" ? journal.events(head) : (journal?.events ?? [])),
    write: async (tx) => {
      const metaStore = tx.objectStore("meta");
      const stored = queueEntry(tx, entry, await nextCounter(metaStore, META.outboxSeq));
      if (orderUuid !== undefined) raw(tx.objectStore("orders")).delete(orderUuid);
      if (session) raw(tx.objectStore("sessions")).put(session);
      for (const [key, value] of Object.entries(meta ?? {})) {
        if (value === null) raw(metaStore).delete(key);
        else raw(metaStore).put(value, key);
      }
      return stored;
    },
  });
  return result;
}

/**
 * Close a cash session with its Z (docs/z-report.md), in one strict transaction: the
 * journal's entries `journal.events` makes from the head (PERIOD_CLOSE(s), Z_CLOSE, …),
 * the session_close queued for the server, the session record, the current session
 * cleared, and the pointer to the last Z (meta `journalLastZ` `{seq, z_no}`).
 * @param {TerminalDb} db
 * @param {object} close
 * @param {{uuid: string, kind: OutboxKind, payload: unknown, createdAt: string}} close.entry
 * @param {{uuid: string}} close.session
 * @param {number} close.zNo
 * @param {JournalWriteFromHead} close.journal
 * @returns {Promise<{seq: number}>} the Z_CLOSE's seq
 */
export async function closeSessionWithZ(db, { entry, session, zNo, journal }) {
  const { result } = await journalAppend(db, {
    ...journal,
    stores: ["outbox", "sessions"],
    events: (head) => journal.events(head),
    write: async (tx, sealed) => {
      const metaStore = tx.objectStore("meta");
      queueEntry(tx, entry, await nextCounter(metaStore, META.outboxSeq));
      raw(tx.objectStore("sessions")).put(session);
      raw(metaStore).delete(META.currentSession);
      const z = sealed.find((wire) => JSON.parse(wire.canonical).type === "Z_CLOSE");
      if (!z) throw new Error("a close without its Z_CLOSE");
      raw(metaStore).put({ seq: z.seq, z_no: zNo }, JOURNAL_META.lastZ);
      return { seq: z.seq };
    },
  });
  return result;
}

/**
 * @typedef {object} FinishedOrder
 * @property {OutboxEntry} entry      the queued order
 * @property {string} receiptNumber
 * @property {any} session            the session record after this order
 * @property {any} receipt            the receipt kept, with its `journal` ({seq, hash, software})
 * @property {import("../domain/journal.js").WireEntry[]} sealed  the journal entries written
 *
 * @typedef {object} JournalContext  who and where, for the entries an operation writes
 * @property {string} terminal        the terminal's code
 * @property {{id: number, name: string} | null} cashier
 * @property {() => string} now       the entries' time (cart.js localIsoString)
 */

/**
 * Finish an order, all in one strict transaction, so a power cut leaves either nothing done
 * or everything: the next receipt number for `prefix`, the outbox entry `build` makes with
 * it, the session record `updateSession` returns, a receipt copy (kept for reprints), the
 * open order removed, and the sale's journal entry (SALE, signed; data/journal.js
 * journalAppend) with the chain's new head. Numbers are taken at the end of a sale, not
 * when an order is started, so parked or abandoned orders leave no gap.
 *
 * The entry names the receipt number and is signed before the transaction opens (WebCrypto
 * cannot run inside it), so the number is read first and read again in the writing
 * transaction: if another tab took it in between, everything is built again on the new
 * number and head. `build` and `updateSession` must be synchronous and may run more than
 * once.
 * @param {TerminalDb} db
 * @param {object} finish
 * @param {string} finish.prefix                 the pairing's receipt prefix
 * @param {string} finish.orderUuid              the open order to remove
 * @param {string} finish.sessionUuid
 * @param {string} finish.createdAt
 * @param {(receiptNumber: string, head: import("../domain/journal.js").Head) => {payload: unknown, receipt: object, sale: import("./journal.js").JournalEvent, software: string, recent?: object}} finish.build
 *        `sale`: the SALE (or REFUND) entry (domain/journal.js salePayload); `software`: the version
 *        the receipt prints; `recent`: the order as the local index of recent orders keeps it
 * @param {(session: any) => any} finish.updateSession
 * @param {JournalContext} finish.journal
 * @param {number} [finish.digits]
 * @returns {Promise<FinishedOrder>}
 */
export async function orderFinish(
  db,
  { prefix, orderUuid, sessionUuid, createdAt, build, updateSession, journal, digits = 6 },
) {
  /** @type {{payload: unknown, receipt: object, sale: import("./journal.js").JournalEvent, software: string, recent?: object} | null} */
  let built = null;
  const { result, sealed } = await journalAppend(db, {
    ...journal,
    stores: ["outbox", "orders", "sessions", "receipts", RECENT_STORE],
    read: async (/** @type {any} */ tx) => {
      // The outbox's counter too, so the writing transaction needs no read of its own
      // after the head's check (one round trip less); a change of it starts again.
      const [number, session, outboxSeq] = await Promise.all([
        tx.objectStore("meta").get(META.receiptCounterPrefix + prefix),
        tx.objectStore("sessions").get(sessionUuid),
        tx.objectStore("meta").get(META.outboxSeq),
      ]);
      return { number: (number ?? 0) + 1, session: session ?? null, outboxSeq: (outboxSeq ?? 0) + 1 };
    },
    events: (head, /** @type {any} */ seen) => {
      if (!seen.session) throw new Error(`no cash session ${sessionUuid}`);
      const made = build(prefix + String(seen.number).padStart(digits, "0"), head);
      built = made;
      if (made.sale?.type !== "SALE" && made.sale?.type !== "REFUND")
        throw new Error("a finished order needs its SALE (or REFUND) entry");
      return [made.sale];
    },
    write: (tx, sealedEntries, /** @type {any} */ seen) => {
      const made = /** @type {{payload: unknown, receipt: object, software: string, recent?: object}} */ (
        /** @type {unknown} */ (built)
      );
      const receiptNumber = prefix + String(seen.number).padStart(digits, "0");
      const meta = raw(tx.objectStore("meta"));
      const seq = { value: seen.outboxSeq, keep: () => meta.put(seen.outboxSeq, META.outboxSeq) };
      meta.put(seen.number, META.receiptCounterPrefix + prefix);
      const session = updateSession(seen.session);
      const sale = sealedEntries[sealedEntries.length - 1];
      const receipt = {
        ...made.receipt,
        uuid: orderUuid,
        receiptNumber,
        journal: { seq: sale.seq, hash: sale.hash, software: made.software },
      };
      const entry = queueEntry(tx, { uuid: orderUuid, kind: "order", payload: made.payload, createdAt }, seq);
      raw(tx.objectStore("orders")).delete(orderUuid);
      raw(tx.objectStore("sessions")).put(session);
      raw(tx.objectStore("receipts")).put({ ...receipt, seq: entry.seq });
      // In the local index from this very transaction: a refund of it, or the refund's own
      // count against its original, holds offline and after a crash (docs/refunds.md).
      if (made.recent) raw(tx.objectStore(RECENT_STORE)).put({ ...made.recent, receiptNumber, local: true });
      return { entry, receiptNumber, session, receipt };
    },
  });
  pruneReceipts(db).catch(() => {}); // housekeeping; a failure only keeps a few more
  return { ...result, sealed };
}

/**
 * A kept receipt by order uuid, or the latest one.
 * @param {TerminalDb} db
 * @param {string} [uuid]
 * @returns {Promise<any>}
 */
export async function getReceipt(db, uuid) {
  if (uuid !== undefined) return db.get("receipts", uuid);
  const cursor = await db.transaction("receipts").store.index("seq").openCursor(null, "prev");
  return cursor?.value;
}

/**
 * The receipts still owed to the customer (`print.owed`, set by the sale's own
 * orderFinish transaction), oldest first. At most RECEIPTS_KEPT receipts are kept, so a
 * scan of the store is cheap and needs no index.
 * @param {TerminalDb} db
 * @returns {Promise<any[]>}
 */
export async function receiptsOwed(db) {
  const all = await db.getAllFromIndex("receipts", "seq");
  return all.filter((/** @type {any} */ receipt) => receipt.print?.owed);
}

/**
 * Change a kept receipt's print record (merged), e.g. `{owed: false, printedAt}`.
 * @param {TerminalDb} db
 * @param {string} uuid
 * @param {object} print
 * @returns {Promise<any>} the receipt, or undefined when it is not kept
 */
export async function receiptSetPrint(db, uuid, print) {
  const tx = db.transaction("receipts", "readwrite", { durability: "strict" });
  const receipt = await tx.store.get(uuid);
  if (receipt) tx.store.put({ ...receipt, print: { ...receipt.print, ...print } });
  await tx.done;
  return receipt && { ...receipt, print: { ...receipt.print, ...print } };
}

/**
 * Drop receipts beyond the newest RECEIPTS_KEPT.
 * @param {TerminalDb} db
 */
async function pruneReceipts(db) {
  const tx = db.transaction("receipts", "readwrite");
  const count = await tx.store.count();
  let excess = count - RECEIPTS_KEPT;
  let cursor = excess > 0 ? await tx.store.index("seq").openCursor() : null;
  while (cursor && excess > 0) {
    if (!cursor.value.print?.owed) cursor.delete(); // an owed receipt stays until it printed
    excess--;
    cursor = await cursor.continue();
  }
  await tx.done;
}

/**
 * Every entry, pending and rejected, in the order they were added (for the export file).
 * @param {TerminalDb} db
 * @returns {Promise<OutboxEntry[]>}
 */
export function outboxAll(db) {
  return db.getAllFromIndex("outbox", "seq");
}

/**
 * The oldest pending entries, in the order they were added.
 * @param {TerminalDb} db
 * @param {number} [limit]
 * @returns {Promise<OutboxEntry[]>}
 */
export async function outboxPending(db, limit = 100) {
  const tx = db.transaction("outbox", "readonly");
  /** @type {OutboxEntry[]} */
  const entries = [];
  let cursor = await tx.store.index("seq").openCursor();
  while (cursor && entries.length < limit) {
    if (cursor.value.state === "pending") entries.push(cursor.value);
    cursor = await cursor.continue();
  }
  await tx.done;
  return entries;
}

/**
 * How many entries wait and how many were refused (for the status bar).
 * @param {TerminalDb} db
 * @returns {Promise<{pending: number, rejected: number}>}
 */
export async function outboxCounts(db) {
  const all = /** @type {OutboxEntry[]} */ (await db.getAll("outbox"));
  const rejected = all.filter((entry) => entry.state === "rejected").length;
  return { pending: all.length - rejected, rejected };
}

/**
 * Drop entries the server has taken (stored or reported as duplicates).
 * @param {TerminalDb} db
 * @param {readonly string[]} keys  entry keys (`entry.key`)
 */
export async function outboxMarkDone(db, keys) {
  const tx = db.transaction("outbox", "readwrite", { durability: "strict" });
  const store = raw(tx.store);
  for (const key of keys) store.delete(key);
  await tx.done;
}

/**
 * Keep an entry the server refused, with its reason; it is no longer replayed.
 * @param {TerminalDb} db
 * @param {string} key
 * @param {string} reason
 */
export async function outboxMarkRejected(db, key, reason) {
  await outboxUpdate(db, key, { state: "rejected", error: reason });
}

/**
 * Put a rejected entry back in the queue (after the cause was fixed on the server).
 * @param {TerminalDb} db
 * @param {string} key
 */
export async function outboxRequeue(db, key) {
  await outboxUpdate(db, key, { state: "pending", error: null });
}

/**
 * The next receipt number for a prefix ("POS1-1-" → "POS1-1-000042"), counted in the same
 * transaction that reads it, so two tabs never get the same number.
 * @param {TerminalDb} db
 * @param {string} prefix   the pairing's receipt prefix, separator included
 * @param {number} [digits]
 * @returns {Promise<string>}
 */
export async function nextReceiptNumber(db, prefix, digits = 6) {
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  const number = await receiptCounter(tx.store, prefix, digits);
  number.keep();
  await tx.done;
  return number.receiptNumber;
}

/**
 * A counter of the `meta` store (the outbox sequence, a receipt prefix's last number), read
 * in the caller's transaction: its next value, and `keep()` to store it once the caller goes
 * ahead (a value read but not kept is not used up).
 * @param {any} meta  the transaction's meta store (idb's wrapper)
 * @param {string} key
 * @returns {Promise<{value: number, keep: () => void}>}
 */
async function nextCounter(meta, key) {
  const value = ((await meta.get(key)) ?? 0) + 1;
  return { value, keep: () => raw(meta).put(value, key) };
}

/**
 * The next receipt number for a prefix, in the caller's transaction: `keep()` takes it.
 * @param {any} meta  the transaction's meta store
 * @param {string} prefix
 * @param {number} digits
 * @returns {Promise<{receiptNumber: string, keep: () => void}>}
 */
async function receiptCounter(meta, prefix, digits) {
  const { value, keep } = await nextCounter(meta, META.receiptCounterPrefix + prefix);
  return { receiptNumber: prefix + String(value).padStart(digits, "0"), keep };
}

/**
 * Add an entry at the end of the outbox in the caller's transaction (stores "outbox" and
 * "meta"), with `seq` from nextCounter(meta, META.outboxSeq), which it keeps.
 * @param {any} tx
 * @param {{uuid: string, kind: OutboxKind, payload: unknown, createdAt: string}} entry
 * @param {{value: number, keep: () => void}} seq
 * @returns {OutboxEntry}
 */
function queueEntry(tx, { uuid, kind, payload, createdAt }, seq) {
  /** @type {OutboxEntry} */
  const stored = {
    key: outboxKey(kind, uuid),
    uuid,
    seq: seq.value,
    kind,
    payload,
    state: "pending",
    error: null,
    createdAt,
  };
  seq.keep();
  raw(tx.objectStore("outbox")).add(stored); // add, not put: the same entry twice is an error
  return stored;
}

/**
 * @param {TerminalDb} db
 * @param {string} key
 * @param {Partial<OutboxEntry>} changes
 */
async function outboxUpdate(db, key, changes) {
  const tx = db.transaction("outbox", "readwrite", { durability: "strict" });
  const entry = await tx.store.get(key);
  if (!entry) {
    tx.abort();
    await tx.done.catch(() => {});
    throw new Error(`no outbox entry ${key}`);
  }
  raw(tx.store).put({ ...entry, ...changes });
  await tx.done;
}

/**
 * Clear a store and put the records, in the caller's transaction.
 * @param {any} store  idb's wrapped object store
 * @param {readonly object[]} records
 */
function replaceAll(store, records) {
  const target = raw(store);
  target.clear();
  for (const record of records) target.put(record);
}
