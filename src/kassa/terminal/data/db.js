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
 * - bulk catalog writes use `durability: "relaxed"`: a lost catalog is downloaded again,
 *   which the catalog token makes visible (it is written last).
 *
 * Node has no IndexedDB: tests/terminal/db.test.mjs checks the schema with a recording
 * fake; the browser tests exercise the real thing.
 */

import { openDB, unwrap } from "../vendor/idb.module.js";

export const DB_NAME = "kassa-terminal";
export const DB_VERSION = 1;

/** Keys of the `meta` store. */
export const META = Object.freeze({
  pairing: "pairing", // {token, terminalId}
  terminalConfig: "terminalConfig", // the server's TerminalOut
  catalogToken: "catalogToken", // the change token of the stored catalog, or absent
  outboxSeq: "outboxSeq", // last outbox sequence number given
  receiptCounterPrefix: "receiptCounter:", // + receipt prefix → last number given
});

/**
 * @typedef {"session_open" | "order" | "session_close"} OutboxKind
 *
 * @typedef {object} OutboxEntry
 * @property {string} uuid          the uuid of the order or session: the server's idempotency key
 * @property {number} seq           replay order
 * @property {OutboxKind} kind
 * @property {unknown} payload      the JSON the server takes
 * @property {"pending" | "rejected"} state
 * @property {string | null} error  the server's reason when rejected
 * @property {string} createdAt     ISO 8601
 *
 * @typedef {object} CatalogSnapshot
 * @property {object[]} products        the server's ProductOut
 * @property {object[]} categories
 * @property {object[]} taxes
 * @property {number} token             the server's change token
 *
 * @typedef {object} CatalogDelta
 * @property {object[]} products        added or changed
 * @property {number[]} deleted         product ids to remove
 * @property {object[]} [categories]    when given, replace all categories
 * @property {object[]} [taxes]         when given, replace all taxes
 * @property {number} token
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
    const products = db.createObjectStore("products", { keyPath: "id" });
    products.createIndex("barcode", "barcodes", { multiEntry: true });
    products.createIndex("ref", "ref");
    db.createObjectStore("categories", { keyPath: "id" });
    db.createObjectStore("taxes", { keyPath: "id" });
    db.createObjectStore("cashiers", { keyPath: "id" });
    db.createObjectStore("paymentMethods", { keyPath: "id" });
    db.createObjectStore("orders", { keyPath: "uuid" });
    const outbox = db.createObjectStore("outbox", { keyPath: "uuid" });
    outbox.createIndex("seq", "seq", { unique: true });
    db.createObjectStore("sessions", { keyPath: "uuid" });
  }
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
  unwrap(tx.store).put(value, key);
  await tx.done;
}

/**
 * Replace the whole catalog: products in transactions of `batchSize`, then categories,
 * taxes and the token in a last one. Until that last transaction commits the catalog token
 * is absent, so a terminal closed half-way downloads the catalog again.
 * @param {TerminalDb} db
 * @param {CatalogSnapshot} catalog
 * @param {{batchSize?: number, onProgress?: (stored: number, total: number) => void}} [options]
 * @returns {Promise<void>}
 */
export async function putCatalog(db, { products, categories, taxes, token }, { batchSize = 10000, onProgress } = {}) {
  const first = db.transaction(["products", "meta"], "readwrite", { durability: "relaxed" });
  unwrap(first.objectStore("meta")).delete(META.catalogToken);
  unwrap(first.objectStore("products")).clear();
  await first.done;
  for (let start = 0; start < products.length; start += batchSize) {
    await putAll(db, "products", products.slice(start, start + batchSize));
    onProgress?.(Math.min(start + batchSize, products.length), products.length);
  }
  const last = db.transaction(["categories", "taxes", "meta"], "readwrite", { durability: "strict" });
  replaceAll(last.objectStore("categories"), categories);
  replaceAll(last.objectStore("taxes"), taxes);
  unwrap(last.objectStore("meta")).put(token, META.catalogToken);
  await last.done;
}

/**
 * Apply what changed since the stored token, in one transaction.
 * @param {TerminalDb} db
 * @param {CatalogDelta} delta
 * @returns {Promise<void>}
 */
export async function applyCatalogDelta(db, { products, deleted, categories, taxes, token }) {
  const tx = db.transaction(["products", "categories", "taxes", "meta"], "readwrite", { durability: "strict" });
  const store = unwrap(tx.objectStore("products"));
  for (const product of products) store.put(product);
  for (const id of deleted) store.delete(id);
  if (categories) replaceAll(tx.objectStore("categories"), categories);
  if (taxes) replaceAll(tx.objectStore("taxes"), taxes);
  unwrap(tx.objectStore("meta")).put(token, META.catalogToken);
  await tx.done;
}

/**
 * Everything the sale screen needs at start, read in one transaction.
 * @param {TerminalDb} db
 * @returns {Promise<{products: any[], categories: any[], taxes: any[], cashiers: any[], paymentMethods: any[], token: number | undefined}>}
 */
export async function loadCatalog(db) {
  const tx = db.transaction(["products", "categories", "taxes", "cashiers", "paymentMethods", "meta"], "readonly");
  const [products, categories, taxes, cashiers, paymentMethods, token] = await Promise.all([
    tx.objectStore("products").getAll(),
    tx.objectStore("categories").getAll(),
    tx.objectStore("taxes").getAll(),
    tx.objectStore("cashiers").getAll(),
    tx.objectStore("paymentMethods").getAll(),
    tx.objectStore("meta").get(META.catalogToken),
    tx.done,
  ]);
  return { products, categories, taxes, cashiers, paymentMethods, token };
}

/**
 * Products by barcode, through the multiEntry index (the search index in memory is faster;
 * this is for code that has no index at hand).
 * @param {TerminalDb} db
 * @param {string} code  in its stored form (see domain/barcode.js normalizeBarcode)
 * @returns {Promise<any[]>}
 */
export function productsByBarcode(db, code) {
  return db.getAllFromIndex("products", "barcode", code);
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
 * Keep an open or parked order (a domain/cart.js Order).
 * @param {TerminalDb} db
 * @param {{uuid: string}} order
 */
export async function saveOrder(db, order) {
  const tx = db.transaction("orders", "readwrite", { durability: "strict" });
  unwrap(tx.store).put(order);
  await tx.done;
}

/**
 * @param {TerminalDb} db
 * @param {string} uuid
 */
export async function deleteOrder(db, uuid) {
  const tx = db.transaction("orders", "readwrite", { durability: "strict" });
  unwrap(tx.store).delete(uuid);
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
  unwrap(tx.store).put(session);
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
 * Queue something for the server. Resolves only once the entry is durably stored. In the
 * same transaction it can drop the open order (so a finished order cannot be finished twice)
 * and store the session record.
 * @param {TerminalDb} db
 * @param {{uuid: string, kind: OutboxKind, payload: unknown, createdAt: string}} entry
 * @param {{deleteOrder?: string, session?: {uuid: string}}} [also]
 * @returns {Promise<OutboxEntry>}
 */
export async function outboxAdd(db, entry, { deleteOrder: orderUuid, session } = {}) {
  const tx = db.transaction(["outbox", "meta", "orders", "sessions"], "readwrite", { durability: "strict" });
  const meta = tx.objectStore("meta");
  const seq = ((await meta.get(META.outboxSeq)) ?? 0) + 1;
  /** @type {OutboxEntry} */
  const stored = { ...entry, seq, state: "pending", error: null };
  unwrap(meta).put(seq, META.outboxSeq);
  unwrap(tx.objectStore("outbox")).add(stored); // add, not put: the same uuid twice is an error
  if (orderUuid !== undefined) unwrap(tx.objectStore("orders")).delete(orderUuid);
  if (session) unwrap(tx.objectStore("sessions")).put(session);
  await tx.done;
  return stored;
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
 * Entries the server refused, for a manager to see.
 * @param {TerminalDb} db
 * @returns {Promise<OutboxEntry[]>}
 */
export async function outboxRejected(db) {
  const all = /** @type {OutboxEntry[]} */ (await db.getAllFromIndex("outbox", "seq"));
  return all.filter((entry) => entry.state === "rejected");
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
 * @param {readonly string[]} uuids
 */
export async function outboxMarkDone(db, uuids) {
  const tx = db.transaction("outbox", "readwrite", { durability: "strict" });
  const store = unwrap(tx.store);
  for (const uuid of uuids) store.delete(uuid);
  await tx.done;
}

/**
 * Keep an entry the server refused, with its reason; it is no longer replayed.
 * @param {TerminalDb} db
 * @param {string} uuid
 * @param {string} reason
 */
export async function outboxMarkRejected(db, uuid, reason) {
  await outboxUpdate(db, uuid, { state: "rejected", error: reason });
}

/**
 * Put a rejected entry back in the queue (after the cause was fixed on the server).
 * @param {TerminalDb} db
 * @param {string} uuid
 */
export async function outboxRequeue(db, uuid) {
  await outboxUpdate(db, uuid, { state: "pending", error: null });
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
  const key = META.receiptCounterPrefix + prefix;
  const tx = db.transaction("meta", "readwrite", { durability: "strict" });
  const number = ((await tx.store.get(key)) ?? 0) + 1;
  unwrap(tx.store).put(number, key);
  await tx.done;
  return prefix + String(number).padStart(digits, "0");
}

/**
 * @param {TerminalDb} db
 * @param {string} uuid
 * @param {Partial<OutboxEntry>} changes
 */
async function outboxUpdate(db, uuid, changes) {
  const tx = db.transaction("outbox", "readwrite", { durability: "strict" });
  const entry = await tx.store.get(uuid);
  if (!entry) {
    tx.abort();
    await tx.done.catch(() => {});
    throw new Error(`no outbox entry ${uuid}`);
  }
  unwrap(tx.store).put({ ...entry, ...changes });
  await tx.done;
}

/**
 * Many puts in one transaction, on the raw store: no promise per record.
 * @param {TerminalDb} db
 * @param {string} storeName
 * @param {readonly object[]} records
 */
async function putAll(db, storeName, records) {
  const tx = db.transaction(storeName, "readwrite", { durability: "relaxed" });
  const store = unwrap(tx.store);
  for (const record of records) store.put(record);
  await tx.done;
}

/**
 * Clear a store and put the records, in the caller's transaction.
 * @param {any} store  idb's wrapped object store
 * @param {readonly object[]} records
 */
function replaceAll(store, records) {
  const raw = unwrap(store);
  raw.clear();
  for (const record of records) raw.put(record);
}
