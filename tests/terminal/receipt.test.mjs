// domain/receipt.js, quick cash amounts and the export file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { quickCashAmounts } from "../../src/kassa/terminal/domain/cart.js";
import { buildReceipt } from "../../src/kassa/terminal/domain/receipt.js";
import { EXPORT_FORMAT, exportFileName, outboxExport } from "../../src/kassa/terminal/sync/export.js";
import { card, cash, config, sampleOrder } from "./fixtures.mjs";

test("quick cash: the amount due, then the notes that cover it", () => {
  assert.deepEqual(quickCashAmounts(1735, 2), [1735, 2000, 5000, 10000]);
  assert.deepEqual(quickCashAmounts(320, 2), [320, 500, 1000, 2000]);
  assert.deepEqual(quickCashAmounts(2000, 2), [2000, 5000, 10000]);
  assert.deepEqual(quickCashAmounts(12000, 2), [12000, 15000, 20000]);
  assert.deepEqual(quickCashAmounts(0, 2), []);
  assert.deepEqual(quickCashAmounts(7, 0), [7, 10, 20, 50]);
});

test("the receipt document carries lines, taxes, payments and change in minor units", () => {
  const receipt = buildReceipt(sampleOrder(), { config, cashier: "Alice", methods: [cash, card] });
  assert.equal(receipt.receiptNumber, "POS1-1-000003");
  assert.deepEqual(receipt.lines.map((l) => [l.name, l.quantity, l.gross]), [["Baguette", 2000, 298], ["Bananas", 1234, 246], ["Gift wrapping", 1000, 242]]);
  assert.deepEqual(receipt.totals, { net: 699, tax: 87, gross: 786 });
  assert.deepEqual(receipt.taxes.map((g) => [g.rate, g.priceIncludesTax, g.tax]), [[90000, true, 45], [210000, false, 42]]);
  assert.deepEqual(receipt.payments, [{ name: "Card", isCash: false, amount: 300 }, { name: "Cash", isCash: true, amount: 1000 }]);
  assert.equal(receipt.change, 514);
  assert.deepEqual(receipt.store, { name: "Shop", address: "Street 1", taxId: "NL1", header: "", footer: "Thanks" });
});

test("the export file holds every outbox entry in order, as the back office imports it", async () => {
  const entries = [
    { key: "session_open:s", uuid: "s", seq: 1, kind: "session_open", payload: { uuid: "s", cashier_id: 1, opened_at: "t", opening_float: "100.00" }, state: "pending" },
    { key: "order:o", uuid: "o", seq: 2, kind: "order", payload: { uuid: "o", receipt_number: "POS1-1-000001" }, state: "rejected" },
    { key: "session_close:s", uuid: "s", seq: 3, kind: "session_close", payload: { uuid: "s", cashier_id: 1, closed_at: "t", counted_cash: "99.00" }, state: "pending" },
  ];
  const db = { getAllFromIndex: async (/** @type {string} */ store, /** @type {string} */ index) => (assert.deepEqual([store, index], ["outbox", "seq"]), entries) };
  const now = new Date("2026-03-14T15:32:00Z");
  const { document, count } = await outboxExport(db, { code: "POS1" }, now);
  assert.equal(count, 3);
  assert.deepEqual(document, {
    format: EXPORT_FORMAT,
    version: 1,
    terminal: { code: "POS1" },
    exported_at: "2026-03-14T15:32:00.000Z",
    entries: entries.map((e) => ({ kind: e.kind, payload: e.payload })),
  });
  assert.match(exportFileName("POS 1/x", now), /^kassa-POS_1_x-20260314-\d{4}\.json$/);
});
