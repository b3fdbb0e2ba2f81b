// domain/hardware.js: the drawer rule and the printer faults in the cashier's words.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PROXY_API,
  faultText,
  opensDrawer,
  printerSummary,
  proxyOrigin,
  tillStatus,
} from "../../src/kassa/terminal/domain/hardware.js";
import { buildReceipt } from "../../src/kassa/terminal/domain/receipt.js";
import { card, cash, config as baseConfig, sampleOrder } from "./fixtures.mjs";

const config = { ...baseConfig, store_address: "Street 1\n1234 Town" };

/** The sample sale's receipt, with these payments. @param {Parameters<typeof sampleOrder>[0]} [payments] */
function sale(payments) {
  return buildReceipt(sampleOrder(payments), { config, cashier: "Alice", methods: [cash, card] });
}

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
  assert.deepEqual(printerSummary({ configured: true, state: "online", paper: "ok", fault: null }), {
    level: "good",
    text: "Printer ready",
  });
  assert.deepEqual(printerSummary({ configured: true, state: "offline", paper: "out", fault: "paper_out" }), {
    level: "bad",
    text: "Printer: paper out",
  });
  assert.equal(printerSummary({ configured: false }).text, "No printer");
});

test("the proxy's origin: none, same-origin (the till served by its proxy), or the URL", () => {
  assert.equal(proxyOrigin("", "http://127.0.0.1:8765"), "");
  assert.equal(proxyOrigin(null, "http://127.0.0.1:8765"), "");
  assert.equal(proxyOrigin("same-origin", "http://127.0.0.1:8766"), "http://127.0.0.1:8766");
  assert.equal(proxyOrigin("http://127.0.0.1:8765/", "https://shop.example"), "http://127.0.0.1:8765");
  assert.equal(PROXY_API, "proxy/v1");
});

test("the till's status for the dashboard: outbox counts, the printer in one word, receipts owed", () => {
  const hw = {
    configured: true,
    reachable: true,
    status: { printer: { configured: true, state: "online", paper: "ok", fault: null } },
    owed: 0,
  };
  assert.deepEqual(tillStatus({ pending: 3, rejected: 1 }, hw, false), {
    synced: false,
    pending: 3,
    rejected: 1,
    printer: "good",
    printer_text: "Printer ready",
    receipts_owed: 0,
  });
  const faulty = { ...hw, status: { printer: { configured: true, state: "offline", fault: "paper_out" } }, owed: 2 };
  assert.deepEqual(tillStatus({ pending: 0, rejected: 0 }, faulty, true), {
    synced: true,
    pending: 0,
    rejected: 0,
    printer: "bad",
    printer_text: "Printer: paper out",
    receipts_owed: 2,
  });
  // a proxy that does not answer: its printer cannot print
  assert.equal(tillStatus({ pending: 0, rejected: 0 }, { ...hw, reachable: false }, true).printer, "bad");
  // no proxy at all
  assert.equal(tillStatus({ pending: 0, rejected: 0 }, null, true).printer, "unknown");
});
