// data/db.js: node has no IndexedDB, so this checks the schema that upgrade() creates on a
// recording fake, and that the module loads with its vendored idb. The browser tests run
// the functions against Chromium's real IndexedDB.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as db from "../../src/kassa/terminal/data/db.js";

function recordingDatabase() {
  /** @type {Record<string, {options: unknown, indexes: Record<string, [unknown, unknown]>}>} */
  const stores = {};
  /** @type {string[]} */
  const deleted = [];
  return {
    stores,
    deleted,
    deleteObjectStore(/** @type {string} */ name) {
      assert.ok(name in stores, `store ${name} deleted but never created`);
      delete stores[name];
      deleted.push(name);
    },
    createObjectStore(/** @type {string} */ name, /** @type {unknown} */ options) {
      assert.ok(!(name in stores), `store ${name} created twice`);
      const store = { options, indexes: /** @type {Record<string, [unknown, unknown]>} */ ({}) };
      stores[name] = store;
      return {
        createIndex(/** @type {string} */ index, /** @type {unknown} */ keyPath, /** @type {unknown} */ indexOptions) {
          store.indexes[index] = [keyPath, indexOptions];
        },
      };
    },
  };
}

test("upgrade from nothing creates every store with its keys and indexes", () => {
  const database = recordingDatabase();
  db.upgrade(database, 0);
  assert.deepEqual(database.stores, {
    meta: { options: undefined, indexes: {} },
    productChunks: { options: { keyPath: "chunk" }, indexes: {} },
    categories: { options: { keyPath: "id" }, indexes: {} },
    taxes: { options: { keyPath: "id" }, indexes: {} },
    cashiers: { options: { keyPath: "id" }, indexes: {} },
    paymentMethods: { options: { keyPath: "id" }, indexes: {} },
    orders: { options: { keyPath: "uuid" }, indexes: {} },
    outbox: { options: { keyPath: "key" }, indexes: { seq: ["seq", { unique: true }] } },
    sessions: { options: { keyPath: "uuid" }, indexes: {} },
    receipts: { options: { keyPath: "uuid" }, indexes: { seq: ["seq", { unique: true }] } },
    journal: { options: { keyPath: "seq" }, indexes: {} },
    recentOrders: { options: { keyPath: "uuid" }, indexes: RECENT_INDEXES },
    catalog: { options: undefined, indexes: {} },
  });
});

const RECENT_INDEXES = {
  receiptNumber: ["receiptNumber", undefined],
  original: ["original", undefined],
  createdAt: ["createdAt", undefined],
};

test("upgrade from version 1 adds the receipts, journal, recent orders and catalog stores", () => {
  const database = recordingDatabase();
  db.upgrade(database, 1);
  assert.deepEqual(Object.keys(database.stores), ["receipts", "journal", "recentOrders", "catalog"]);
});

test("upgrade from version 2 adds the journal, the recent orders and the catalog: the outbox and its orders stay", () => {
  const database = recordingDatabase();
  /** @type {any} */ (database.stores).searchIndex = { options: undefined, indexes: {} };
  db.upgrade(database, 2);
  assert.deepEqual(Object.keys(database.stores), ["journal", "recentOrders", "catalog"]);
});

test("upgrade from version 3 adds the local index of recent orders and the catalog", () => {
  const database = recordingDatabase();
  /** @type {any} */ (database.stores).searchIndex = { options: undefined, indexes: {} };
  db.upgrade(database, 3);
  assert.deepEqual(database.stores, {
    recentOrders: { options: { keyPath: "uuid" }, indexes: RECENT_INDEXES },
    catalog: { options: undefined, indexes: {} },
  });
});

test("upgrade from version 4 adds the catalog index's store and drops the old index cache, keeping the products", () => {
  const database = recordingDatabase();
  /** @type {any} */ (database.stores).searchIndex = { options: undefined, indexes: {} };
  db.upgrade(database, 4);
  assert.deepEqual(database.stores, { catalog: { options: undefined, indexes: {} } });
  assert.deepEqual(database.deleted, ["searchIndex"]);
  assert.equal(db.DB_VERSION, 5);
});

test("upgrade from the current version changes nothing", () => {
  const database = recordingDatabase();
  db.upgrade(database, db.DB_VERSION);
  assert.deepEqual(database.stores, {});
});

test("the module exports the data API", () => {
  for (const name of [
    "openTerminalDb",
    "getMeta",
    "setMeta",
    "putCatalogIndex",
    "putCatalogChanges",
    "loadCatalog",
    "productChunksKept",
    "putCashiers",
    "putPaymentMethods",
    "saveOrder",
    "deleteOrder",
    "listOrders",
    "saveSession",
    "getSession",
    "outboxKey",
    "outboxAdd",
    "outboxPending",
    "outboxCounts",
    "outboxMarkDone",
    "outboxMarkRejected",
    "outboxRequeue",
    "nextReceiptNumber",
    "orderFinish",
    "getReceipt",
    "outboxAll",
  ]) {
    assert.equal(typeof (/** @type {any} */ (db)[name]), "function", name);
  }
});

test("a session's open and close get different outbox keys", () => {
  assert.equal(db.outboxKey("session_open", "0b6f"), "session_open:0b6f");
  assert.notEqual(db.outboxKey("session_open", "0b6f"), db.outboxKey("session_close", "0b6f"));
});
