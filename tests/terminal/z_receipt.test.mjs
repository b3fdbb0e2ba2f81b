// domain/z_receipt.js: the X and Z reports and the cash-move slip as block documents,
// laid out by the one layout the printer and the preview share.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { layoutReceipt, length } from "../../src/kassa/terminal/domain/receipt_layout.js";
import { cashMoveDocument, zDocument } from "../../src/kassa/terminal/domain/z_receipt.js";

const { sessions } = JSON.parse(readFileSync(new URL("../shared/z_cases.json", import.meta.url), "utf8"));
const [golden] = sessions;
/** @param {any} document @param {number} columns */
const rows = (document, columns) =>
  layoutReceipt(document, columns).map((/** @type {any} */ row) => ("text" in row ? row.text : `[${row.value}]`));

test("the golden Z prints every section with its figures, within 32, 42 and 48 columns", () => {
  for (const columns of [32, 42, 48]) {
    const text = rows(zDocument(golden.z), columns);
    for (const row of text) assert.ok(length(row) <= columns, row);
    const all = text.join("\n");
    for (const word of [
      "Z REPORT 7",
      "Sales (EUR)",
      "Refunds",
      "Turnover",
      "Exceptions",
      "Payments",
      "Cash moves",
      "Denominations",
      "Variance",
      "Grand totals",
    ])
      assert.ok(all.includes(word), `${word} at ${columns}`);
    for (const figure of ["39.28", "-12.50", "115.21", "109.00", "-6.21", "49.00", "1026.78", "2326.78"])
      assert.ok(all.includes(figure), `${figure} at ${columns}`);
    assert.ok(!all.includes("DUPLICATE"));
  }
});

test("a reprint carries DUPLICATE under the title, and is otherwise the same", () => {
  const first = rows(zDocument(golden.z), 48);
  const copy = rows(zDocument(golden.z, { copy: true }), 48);
  assert.deepEqual(
    copy.filter((row) => row.trim() !== "DUPLICATE"),
    first,
  );
  assert.equal(copy.filter((row) => row.trim() === "DUPLICATE").length, 1);
});

test("an X report says it is one; blind, it leaves out what was expected", () => {
  const x = { ...golden.z, z_no: null, closed: null };
  const open = rows(zDocument(x), 48).join("\n");
  assert.ok(open.includes("X REPORT") && open.includes("Expected") && open.includes("115.21"));
  const blind = rows(zDocument(x, { blind: true }), 48).join("\n");
  assert.ok(blind.includes("X REPORT"));
  assert.ok(!blind.includes("Expected") && !blind.includes("115.21") && !blind.includes("-6.21"));
});

test("a cash move's slip: what, how much, why, who, and a line to sign", () => {
  const move = golden.entries.find((/** @type {any} */ e) => e.type === "CASH_MOVE").payload;
  const text = rows(
    cashMoveDocument(move, {
      terminal: "POS1",
      at: "2026-11-30T11:00:00.000+01:00",
      cashier: "Ana",
      reason: "Float top-up",
      currency: "EUR",
      approver: "Bo",
    }),
    32,
  ).join("\n");
  for (const word of ["CASH IN", "POS1", "2026-11-30 11:00", "Ana", "Float top-up", "Bo", "50.00 EUR", "Signature"])
    assert.ok(text.includes(word), word);
});

test("a Z closed on a German till prints its words in German, as the shared case has it; amounts as stored", () => {
  const german = sessions.find((/** @type {any} */ s) => s.z.parameters.language === "de");
  assert.equal(german.z.parameters.language, "de");
  assert.deepEqual(rows(zDocument(german.z), 42), german.printed);
  const all = german.printed.join("\n");
  for (const word of german.words.de) assert.ok(all.includes(word), word);
  for (const word of german.words.en) assert.ok(!all.includes(word), word);
  for (const figure of ["39.28", "-12.50", "115.21", "-6.21", "1026.78"]) assert.ok(all.includes(figure), figure);
  // a reprint carries the German copy mark; the English golden Z (no language) stays English
  assert.ok(rows(zDocument(german.z, { copy: true }), 42).some((row) => row.trim() === "KOPIE"));
  assert.ok(rows(zDocument(golden.z), 42).join("\n").includes("Z REPORT 7"));
  // an X report on a German till, and a language without words prints in English
  const x = rows(zDocument({ ...german.z, z_no: null, closed: null }), 42).join("\n");
  assert.ok(x.includes("X-BERICHT") && x.includes("Kein Abschluss"));
  const unknown = { ...german.z, parameters: { ...german.z.parameters, language: "xx" } };
  assert.ok(rows(zDocument(unknown), 42).join("\n").includes("Z REPORT 7"));
});

test("a German till's cash-move slip", () => {
  const move = golden.entries.find((/** @type {any} */ e) => e.type === "CASH_MOVE").payload;
  const context = { terminal: "POS1", at: "2026-11-30T11:00:00.000+01:00", cashier: "Ana", reason: "Wechselgeld" };
  const text = rows(cashMoveDocument(move, { ...context, currency: "EUR", language: "de" }), 32).join("\n");
  for (const word of ["EINLAGE", "Kasse", "Zeit", "Kassierer", "Grund", "Betrag", "50.00 EUR", "Unterschrift:"])
    assert.ok(text.includes(word), word);
  assert.ok(!text.includes("CASH IN") && !text.includes("Signature"));
});
