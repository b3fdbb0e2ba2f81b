// domain/hardware.js: the proxy's receipt document, display frames, the drawer rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { faultText, opensDrawer, printDocument, printerSummary } from "../../src/kassa/terminal/domain/hardware.js";
import { buildReceipt } from "../../src/kassa/terminal/domain/receipt.js";
import { card, cash, config as baseConfig, sampleOrder } from "./fixtures.mjs";

const config = { ...baseConfig, store_address: "Street 1\n1234 Town" };

/** The sample sale's receipt, with these payments. @param {Parameters<typeof sampleOrder>[0]} [payments] */
function sale(payments) {
  return buildReceipt(sampleOrder(payments), { config, cashier: "Alice", methods: [cash, card] });
}

test("the print document is the proxy's Receipt: decimal strings, balanced tax lines", () => {
  const doc = printDocument(sale());
  assert.deepEqual(doc, {
    currency: "EUR",
    header: ["Shop", "Street 1", "1234 Town", "VAT NL1"],
    number: "POS1-1-000003",
    date: "2026-03-14T10:00:00.000+01:00",
    cashier: "Alice",
    lines: [
      { name: "Baguette", quantity: "2.000", unit: "", unit_price: "1.49", discount: "0", total: "2.98" },
      { name: "Bananas", quantity: "1.234", unit: "kg", unit_price: "1.99", discount: "0", total: "2.46" },
      { name: "Gift wrapping", quantity: "1.000", unit: "", unit_price: "2.00", discount: "0", total: "2.42" },
    ],
    taxes: [
      { rate: "9", net: "4.99", tax: "0.45", gross: "5.44" },
      { rate: "21", net: "2.00", tax: "0.42", gross: "2.42" },
    ],
    total: "7.86",
    payments: [{ method: "Card", amount: "3.00" }, { method: "Cash", amount: "10.00" }],
    change: "5.14",
    footer: ["Thanks"],
    reference: "POS1-1-000003",
    reference_format: "code128",
  });
  for (const group of /** @type {any[]} */ (doc.taxes)) {
    assert.equal(Math.round(Number(group.net) * 100) + Math.round(Number(group.tax) * 100), Math.round(Number(group.gross) * 100));
  }
});

test("long texts are cut to the proxy's limits; an odd receipt number becomes a QR code", () => {
  const receipt = { ...sale(), cashier: "A".repeat(80), receiptNumber: "Nº-1" };
  receipt.lines = [{ ...receipt.lines[0], name: "x".repeat(300) }];
  const doc = /** @type {any} */ (printDocument(receipt));
  assert.equal(doc.cashier.length, 60);
  assert.equal(doc.lines[0].name.length, 200);
  assert.equal(doc.reference_format, "qr");
});

test("the drawer opens for cash, always or never, per terminal setting", () => {
  const cardOnly = sale([[card, 786]]);
  const withCash = sale();
  assert.equal(opensDrawer(withCash, "cash"), true);
  assert.equal(opensDrawer(cardOnly, "cash"), false);
  assert.equal(opensDrawer(cardOnly, undefined), false);
  assert.equal(opensDrawer(cardOnly, "always"), true);
  assert.equal(opensDrawer(withCash, "never"), false);
});

test("printer faults in the cashier's words", () => {
  assert.equal(faultText("paper_out"), "paper out");
  assert.equal(faultText("something_new"), "something_new");
  assert.deepEqual(printerSummary({ configured: true, state: "online", paper: "ok", fault: null }), { level: "good", text: "Printer ready" });
  assert.deepEqual(printerSummary({ configured: true, state: "offline", paper: "out", fault: "paper_out" }), { level: "bad", text: "Printer: paper out" });
  assert.equal(printerSummary({ configured: false }).text, "No printer");
});
