// domain/receipt.js (the sale's receipt and its block document), quick cash amounts and the export file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { quickCashAmounts } from "../../src/kassa/terminal/domain/cart.js";
import {
  buildReceipt,
  RECEIPT_LABELS,
  RECEIPT_LABELS_DE,
  receiptDocument,
  receiptLabels,
} from "../../src/kassa/terminal/domain/receipt.js";
import { layoutReceipt } from "../../src/kassa/terminal/domain/receipt_layout.js";
import { EXPORT_FORMAT, exportFileName, outboxExport } from "../../src/kassa/terminal/sync/export.js";
import { card, cash, config, germanConfig, sampleOrder } from "./fixtures.mjs";

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
  assert.deepEqual(
    receipt.lines.map((l) => [l.name, l.quantity, l.gross]),
    [
      ["Baguette", 2000, 298],
      ["Bananas", 1234, 246],
      ["Gift wrapping", 1000, 242],
    ],
  );
  assert.deepEqual(receipt.totals, { net: 699, tax: 87, gross: 786 });
  assert.deepEqual(
    receipt.taxes.map((g) => [g.rate, g.priceIncludesTax, g.tax]),
    [
      [90000, true, 45],
      [210000, false, 42],
    ],
  );
  assert.deepEqual(receipt.payments, [
    { name: "Card", isCash: false, amount: 300 },
    { name: "Cash", isCash: true, amount: 1000 },
  ]);
  assert.equal(receipt.change, 514);
  assert.deepEqual(receipt.store, { name: "Shop", address: "Street 1", taxId: "NL1", header: "", footer: "Thanks" });
});

test("the export file holds every outbox entry in order, as the back office imports it", async () => {
  const entries = [
    {
      key: "session_open:s",
      uuid: "s",
      seq: 1,
      kind: "session_open",
      payload: { uuid: "s", cashier_id: 1, opened_at: "t", opening_float: "100.00" },
      state: "pending",
    },
    {
      key: "order:o",
      uuid: "o",
      seq: 2,
      kind: "order",
      payload: { uuid: "o", receipt_number: "POS1-1-000001" },
      state: "rejected",
    },
    {
      key: "session_close:s",
      uuid: "s",
      seq: 3,
      kind: "session_close",
      payload: { uuid: "s", cashier_id: 1, closed_at: "t", counted_cash: "99.00" },
      state: "pending",
    },
  ];
  const db = {
    getAllFromIndex: async (/** @type {string} */ store, /** @type {string} */ index) => {
      assert.deepEqual([store, index], ["outbox", "seq"]);
      return entries;
    },
  };
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

// ---------------------------------------------------------------- the receipt document

const sp = (/** @type {number} */ n) => " ".repeat(n);
/** @param {string} text */
const row = (text, align = "left", bold = false, size = "normal") => ({ text, align, bold, size });
const sampleReceipt = () => buildReceipt(sampleOrder(), { config, cashier: "Alice", methods: [cash, card] });

/**
 * A receipt of one line at 10 % tax included, paid in cash; amounts in minor units.
 * @param {{currency: string, places: number, price: number, discount?: number, gross: number, tax: number, given: number}} sale
 * @returns {import("../../src/kassa/terminal/domain/receipt.js").Receipt}
 */
function oneLineReceipt({ currency, places, price, discount = 0, gross, tax, given }) {
  return {
    ...sampleReceipt(),
    currency,
    places,
    lines: [{ name: "Ramen", quantity: 1000, unit: "pc", weighed: false, unitPrice: price, discount, gross }],
    totals: { net: gross - tax, tax, gross },
    taxes: [{ rate: 100000, priceIncludesTax: true, net: gross - tax, tax, gross }],
    payments: [{ name: "Cash", isCash: true, amount: given }],
    paid: given,
    cashPaid: given,
    change: given - gross,
  };
}

/** The pairs and columns after the header's date row: lines, total, payments, change, taxes. @param {any} document */
const money = (document) =>
  document.blocks.filter((/** @type {any} */ b) => b.type === "pair" || b.type === "columns").slice(1);

test("the receipt document of the sample sale, block by block", () => {
  assert.deepEqual(receiptDocument(sampleReceipt()), {
    format: "kassa.receipt",
    version: 1,
    blocks: [
      { type: "text", text: "Shop", align: "center", bold: true, size: "large" },
      { type: "text", text: "Street 1", align: "center" },
      { type: "text", text: "Tax ID NL1", align: "center" },
      { type: "blank" },
      { type: "text", text: "Receipt POS1-1-000003" },
      { type: "pair", left: "2026-03-14 10:00", right: "Till 1" },
      { type: "text", text: "Cashier: Alice" },
      { type: "rule" },
      { type: "text", text: "Baguette" },
      { type: "pair", left: "2 × 1.49", right: "2.98" },
      { type: "text", text: "Bananas" },
      { type: "pair", left: "1.234 kg × 1.99", right: "2.46" },
      { type: "text", text: "Gift wrapping" },
      { type: "pair", left: "1 × 2.00", right: "2.42" },
      { type: "rule" },
      { type: "pair", left: "TOTAL", right: "7.86 €", bold: true, size: "large" },
      { type: "pair", left: "Card", right: "3.00" },
      { type: "pair", left: "Cash", right: "10.00" },
      { type: "pair", left: "Change", right: "5.14" },
      { type: "blank" },
      { type: "columns", cells: ["Rate", "Net", "Tax", "Gross"] },
      { type: "columns", cells: ["9%", "4.99", "0.45", "5.44"] },
      { type: "columns", cells: ["21% excl.", "2.00", "0.42", "2.42"] },
      { type: "blank" },
      { type: "text", text: "Thanks", align: "center" },
      { type: "blank" },
      { type: "code", format: "code128", value: "POS1-1-000003" },
    ],
  });
});

test("the sample sale laid out at 48 columns, row by row", () => {
  assert.deepEqual(layoutReceipt(receiptDocument(sampleReceipt()), 48), [
    row("Shop", "center", true, "large"),
    row("Street 1", "center"),
    row("Tax ID NL1", "center"),
    row(""),
    row("Receipt POS1-1-000003"),
    row("2026-03-14 10:00" + sp(26) + "Till 1"),
    row("Cashier: Alice"),
    row("-".repeat(48)),
    row("Baguette"),
    row("2 × 1.49" + sp(36) + "2.98"),
    row("Bananas"),
    row("1.234 kg × 1.99" + sp(29) + "2.46"),
    row("Gift wrapping"),
    row("1 × 2.00" + sp(36) + "2.42"),
    row("-".repeat(48)),
    row("TOTAL" + sp(37) + "7.86 €", "left", true, "large"),
    row("Card" + sp(40) + "3.00"),
    row("Cash" + sp(39) + "10.00"),
    row("Change" + sp(38) + "5.14"),
    row(""),
    row("Rate" + sp(8) + sp(9) + "Net" + sp(9) + "Tax" + sp(7) + "Gross"),
    row("9%" + sp(10) + sp(8) + "4.99" + sp(8) + "0.45" + sp(8) + "5.44"),
    row("21% excl." + sp(3) + sp(8) + "2.00" + sp(8) + "0.42" + sp(8) + "2.42"),
    row(""),
    row("Thanks", "center"),
    row(""),
    { code: "code128", value: "POS1-1-000003" },
  ]);
});

test("a reprint carries the copy mark DUPLICATE under the store's header; nothing else changes", () => {
  const original = receiptDocument(sampleReceipt()).blocks;
  const copy = receiptDocument(sampleReceipt(), { copy: true }).blocks;
  assert.deepEqual(copy[3], { type: "text", text: "DUPLICATE", align: "center", bold: true });
  assert.deepEqual([...copy.slice(0, 3), ...copy.slice(4)], original);
});

test("the sale's journal entry is printed above the code: seq, the hash's first 8 digits, the software", () => {
  const hash = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
  const receipt = { ...sampleReceipt(), journal: { seq: 42, hash, software: "Kassa 0.1.0" } };
  const blocks = receiptDocument(receipt).blocks;
  assert.deepEqual(blocks.slice(-4), [
    { type: "blank" },
    { type: "text", text: "Journal 42 · a1b2c3d4 · Kassa 0.1.0", align: "center" },
    { type: "blank" },
    { type: "code", format: "code128", value: "POS1-1-000003" },
  ]);
  // nothing else changes, and without a journal entry there is no journal row
  assert.deepEqual([...blocks.slice(0, -4), ...blocks.slice(-2)], receiptDocument(sampleReceipt()).blocks);
  assert.ok(!JSON.stringify(receiptDocument(sampleReceipt())).includes("Journal"));
  // the till's own word for it, as every other label
  const german = receiptDocument(receipt, { labels: { journal: "Journal-Nr." } }).blocks.at(-3);
  assert.deepEqual(german, { type: "text", text: "Journal-Nr. 42 · a1b2c3d4 · Kassa 0.1.0", align: "center" });
  // laid out like any text: one centred row at 48 columns
  assert.deepEqual(layoutReceipt({ format: "kassa.receipt", version: 1, blocks: blocks.slice(-3, -2) }, 48), [
    row("Journal 42 · a1b2c3d4 · Kassa 0.1.0", "center"),
  ]);
});

test("yen have no decimals: 315 ¥", () => {
  const document = receiptDocument(
    oneLineReceipt({ currency: "JPY", places: 0, price: 315, gross: 315, tax: 29, given: 1000 }),
  );
  assert.deepEqual(money(document), [
    { type: "pair", left: "1 × 315", right: "315" },
    { type: "pair", left: "TOTAL", right: "315 ¥", bold: true, size: "large" },
    { type: "pair", left: "Cash", right: "1000" },
    { type: "pair", left: "Change", right: "685" },
    { type: "columns", cells: ["Rate", "Net", "Tax", "Gross"] },
    { type: "columns", cells: ["10%", "286", "29", "315"] },
  ]);
});

test("euros have two decimals, and a discount is shown on its line", () => {
  const document = receiptDocument(
    oneLineReceipt({ currency: "EUR", places: 2, price: 1250, discount: 1000, gross: 1125, tax: 102, given: 2000 }),
  );
  assert.deepEqual(money(document), [
    { type: "pair", left: "1 × 12.50 -10%", right: "11.25" },
    { type: "pair", left: "TOTAL", right: "11.25 €", bold: true, size: "large" },
    { type: "pair", left: "Cash", right: "20.00" },
    { type: "pair", left: "Change", right: "8.75" },
    { type: "columns", cells: ["Rate", "Net", "Tax", "Gross"] },
    { type: "columns", cells: ["10%", "10.23", "1.02", "11.25"] },
  ]);
});

test("Kuwaiti dinars have three decimals and no symbol: 1.234 KWD", () => {
  const document = receiptDocument(
    oneLineReceipt({ currency: "KWD", places: 3, price: 1234, gross: 1234, tax: 112, given: 5000 }),
  );
  assert.deepEqual(money(document), [
    { type: "pair", left: "1 × 1.234", right: "1.234" },
    { type: "pair", left: "TOTAL", right: "1.234 KWD", bold: true, size: "large" },
    { type: "pair", left: "Cash", right: "5.000" },
    { type: "pair", left: "Change", right: "3.766" },
    { type: "columns", cells: ["Rate", "Net", "Tax", "Gross"] },
    { type: "columns", cells: ["10%", "1.122", "0.112", "1.234"] },
  ]);
});

test("every label comes from one table, and a till may replace any of them", () => {
  assert.deepEqual(RECEIPT_LABELS, {
    copy: "DUPLICATE",
    receipt: "Receipt",
    cashier: "Cashier",
    taxId: "Tax ID",
    total: "TOTAL",
    change: "Change",
    rate: "Rate",
    net: "Net",
    tax: "Tax",
    gross: "Gross",
    taxExcluded: "excl.",
    journal: "Journal",
    refund: "REFUND",
    exchange: "EXCHANGE",
    refundOf: "refund of no.",
    of: "of",
    withoutReceipt: "return without receipt",
  });
  const labels = {
    copy: "KOPIE",
    receipt: "Bon",
    cashier: "Kassierer",
    taxId: "USt-IdNr.",
    total: "SUMME",
    change: "Rückgeld",
    rate: "Satz",
    net: "Netto",
    tax: "MwSt",
    gross: "Brutto",
    taxExcluded: "zzgl.",
    journal: "Journal-Nr.",
    refund: "ERSTATTUNG",
    exchange: "UMTAUSCH",
    refundOf: "Erstattung zu Bon",
    of: "vom",
    withoutReceipt: "Rückgabe ohne Bon",
  };
  const journal = { seq: 7, hash: "0123456789abcdef", software: "Kassa 0.1.0" };
  const words = JSON.stringify(receiptDocument({ ...sampleReceipt(), journal }, { copy: true, labels }));
  for (const english of Object.values(RECEIPT_LABELS))
    assert.doesNotMatch(words, new RegExp(`"${english.replace(/[*.]/g, "\\$&")}[" ]`));
  for (const german of [
    "KOPIE",
    "Bon POS1-1-000003",
    "Kassierer: Alice",
    "USt-IdNr. NL1",
    "SUMME",
    "Rückgeld",
    "Satz",
    "Netto",
    "MwSt",
    "Brutto",
    "21% zzgl.",
    "Journal-Nr. 7 · 01234567 · Kassa 0.1.0",
  ]) {
    assert.ok(words.includes(`"${german}"`), german);
  }
});

test("multi-line settings and the note become one text block per line, without control characters", () => {
  const receipt = sampleReceipt();
  const document = receiptDocument({
    ...receipt,
    store: {
      name: "Shop\tBerlin",
      address: "Street 1\r\n\r\n10115 Berlin\n",
      taxId: "DE1",
      header: "Open 8–20\rSundays closed",
      footer: "Thanks\u2028See you",
    },
    note: "Deliver\x1b@ on Tuesday\nRing twice",
    cashier: "",
    terminal: "",
  });
  assert.deepEqual(document.blocks.slice(0, 9), [
    { type: "text", text: "Shop Berlin", align: "center", bold: true, size: "large" },
    { type: "text", text: "Street 1", align: "center" },
    { type: "text", text: "10115 Berlin", align: "center" },
    { type: "text", text: "Tax ID DE1", align: "center" },
    { type: "text", text: "Open 8–20", align: "center" },
    { type: "text", text: "Sundays closed", align: "center" },
    { type: "blank" },
    { type: "text", text: "Receipt POS1-1-000003" },
    { type: "text", text: "2026-03-14 10:00" },
  ]);
  assert.deepEqual(document.blocks.slice(-7, -2), [
    { type: "blank" },
    { type: "text", text: "Deliver @ on Tuesday", align: "center" },
    { type: "text", text: "Ring twice", align: "center" },
    { type: "text", text: "Thanks", align: "center" },
    { type: "text", text: "See you", align: "center" },
  ]);
  const strings = JSON.stringify(document.blocks).match(/"(?:[^"\\]|\\.)*"/g) ?? [];
  for (const text of strings) assert.doesNotMatch(JSON.parse(text), /[\p{Cc}\u2028\u2029]/u);
});

test("long strings are cut to 500 code points; a long receipt number is printed as a QR code", () => {
  const receipt = sampleReceipt();
  const name = "🥐".repeat(600);
  const number = "N".repeat(41);
  const document = receiptDocument({
    ...receipt,
    receiptNumber: number,
    lines: [{ ...receipt.lines[0], name }],
    note: "x".repeat(700),
  });
  const texts = document.blocks
    .flatMap((/** @type {any} */ b) => [b.text, b.left, b.right, b.value, ...(b.cells ?? [])])
    .filter(Boolean);
  assert.ok(texts.every((/** @type {string} */ t) => Array.from(t).length <= 500));
  assert.ok(texts.includes("🥐".repeat(500)));
  assert.ok(texts.includes("x".repeat(500)));
  assert.deepEqual(document.blocks.at(-1), { type: "code", format: "qr", value: number });
  const unicode = receiptDocument({ ...receipt, receiptNumber: "KÖLN-1" });
  assert.deepEqual(unicode.blocks.at(-1), { type: "code", format: "qr", value: "KÖLN-1" });
  const forty = receiptDocument({ ...receipt, receiptNumber: "N".repeat(40) });
  assert.deepEqual(forty.blocks.at(-1), { type: "code", format: "code128", value: "N".repeat(40) });
});

test("a sale without taxes, change, note or footer prints no empty sections", () => {
  const receipt = sampleReceipt();
  const document = receiptDocument({
    ...receipt,
    taxes: [],
    change: 0,
    note: "",
    store: { ...receipt.store, footer: "", taxId: "" },
  });
  assert.deepEqual(document.blocks.slice(-5), [
    { type: "pair", left: "TOTAL", right: "7.86 €", bold: true, size: "large" },
    { type: "pair", left: "Card", right: "3.00" },
    { type: "pair", left: "Cash", right: "10.00" },
    { type: "blank" },
    { type: "code", format: "code128", value: "POS1-1-000003" },
  ]);
  assert.ok(!JSON.stringify(document).includes("Tax ID"));
});

test("the shared layout case of a whole receipt is the sample sale's reprint, as built here", () => {
  const { cases } = JSON.parse(readFileSync(new URL("../shared/receipt_layout_cases.json", import.meta.url), "utf8"));
  const shared = cases.find((/** @type {any} */ c) => c.name.startsWith("a whole receipt: the terminal's sample sale"));
  assert.deepEqual(receiptDocument(sampleReceipt(), { copy: true }), shared.document);
});

test("a refund is titled REFUND and names the receipt and date it returns goods of", () => {
  const refund = {
    ...sampleReceipt(),
    kind: /** @type {const} */ ("refund"),
    original: { receiptNumber: "POS1-1-000001", at: "2026-11-28T17:05:09.000+01:00" },
  };
  const blocks = receiptDocument(refund).blocks;
  const at = blocks.findIndex((block) => block.type === "text" && block.text === "REFUND");
  assert.ok(at > 0);
  assert.deepEqual(blocks[at], { type: "text", text: "REFUND", align: "center", bold: true, size: "large" });
  assert.deepEqual(blocks[at + 1], {
    type: "text",
    text: "refund of no. POS1-1-000001 of 2026-11-28 17:05",
    align: "center",
  });
  const blind = receiptDocument({ ...sampleReceipt(), kind: "refund", original: null }).blocks;
  assert.ok(blind.some((block) => block.type === "text" && block.text === "return without receipt"));
  const exchange = receiptDocument({ ...refund, kind: "exchange" }).blocks;
  assert.ok(exchange.some((block) => block.type === "text" && block.text === "EXCHANGE"));
  // and its code is still the receipt's number, to find this refund again
  assert.deepEqual(blocks.at(-1), { type: "code", format: "code128", value: "POS1-1-000003" });
});

test("a German till's receipt prints its fixed words in German: the shared golden case", () => {
  // given the sample sale at a till whose language is German
  const receipt = buildReceipt(sampleOrder(), {
    config: germanConfig,
    cashier: "Jürgen",
    methods: [
      { ...cash, name: "Bar" },
      { ...card, name: "Karte" },
    ],
  });
  assert.equal(receipt.language, "de");
  // when its document is built
  const document = receiptDocument(receipt);
  // then it is the shared case's, which the proxy lays out to the same rows (pytest)
  const cases = JSON.parse(readFileSync(new URL("../shared/receipt_layout_cases.json", import.meta.url), "utf8")).cases;
  const german = cases.find((/** @type {any} */ c) => c.name.startsWith("a German till's receipt"));
  assert.deepEqual(document, german.document);
  assert.deepEqual(layoutReceipt(document, german.columns), german.rows);
  const texts = german.rows.map((/** @type {any} */ row) => row.text);
  for (const word of ["Beleg POS1-1-000003", "Kassierer: Jürgen", "USt-IdNr. DE123456789"])
    assert.ok(texts.includes(word));
  assert.ok(texts.includes("SUMME                     7.86 €"));
  assert.ok(texts.includes("Rückgeld                    5.14"));
  assert.ok(texts.includes("Satz       Netto   MwSt.  Brutto"));
  // and no English word is left of RECEIPT_LABELS
  const printed = texts.join("\n");
  for (const english of ["Receipt", "Cashier", "TOTAL", "Change", "Gross"])
    assert.ok(!printed.includes(english), english);
  // a till in English (or a language the receipt has no words in) prints English
  assert.deepEqual(receiptLabels("en"), RECEIPT_LABELS);
  assert.deepEqual(receiptLabels("xx"), RECEIPT_LABELS);
  assert.deepEqual(receiptLabels("de"), RECEIPT_LABELS_DE);
  assert.deepEqual(Object.keys(RECEIPT_LABELS_DE).sort(), Object.keys(RECEIPT_LABELS).sort());
});
