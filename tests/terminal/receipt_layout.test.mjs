// domain/receipt_layout.js against the worked cases of docs/receipt.md, which the proxy's
// Python layout runs too (tests/shared/receipt_layout_cases.json): paper and preview agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cut, layoutReceipt, length, wrap } from "../../src/kassa/terminal/domain/receipt_layout.js";

const { cases } = JSON.parse(readFileSync(new URL("../shared/receipt_layout_cases.json", import.meta.url), "utf8"));

for (const { name, columns, document, rows } of cases) {
  test(`layout case: ${name}`, () => {
    assert.deepEqual(layoutReceipt(document, columns), rows);
  });
}

test("the shared cases cover the widths 32, 42 and 48 and every block type", () => {
  assert.deepEqual([...new Set(cases.map((/** @type {any} */ c) => c.columns))].sort(), [32, 42, 48]);
  const types = new Set(
    cases.flatMap((/** @type {any} */ c) => c.document.blocks.map((/** @type {any} */ b) => b.type)),
  );
  assert.deepEqual([...types].sort(), ["blank", "code", "columns", "pair", "rule", "text"]);
});

test("every text row of the shared cases is at most the width, in code points", () => {
  for (const { columns, rows } of cases) {
    for (const row of rows) if ("text" in row) assert.ok(length(row.text) <= columns, row.text);
  }
});

test("lengths and cuts count code points, not UTF-16 units", () => {
  assert.equal(length("🥐€ü"), 3);
  assert.equal(cut("🥐🥐🥐", 2), "🥐🥐");
  assert.equal(cut("abc", 0), "");
  assert.equal(cut("abc", -1), "");
  assert.equal(cut("abc", 5), "abc");
});

test("wrap splits on the white space Python's str.split() knows, not on U+FEFF", () => {
  assert.deepEqual(wrap("a\u2003b\u00a0c", 10), ["a b c"]);
  assert.deepEqual(wrap("a\ufeffb", 10), ["a\ufeffb"]);
});

test("an unknown block type or a width below 1 is refused", () => {
  const document = /** @type {any} */ ({ format: "kassa.receipt", version: 1, blocks: [{ type: "image" }] });
  assert.throws(() => layoutReceipt(document, 48), /unknown receipt block type "image"/);
  assert.throws(() => layoutReceipt({ format: "kassa.receipt", version: 1, blocks: [] }, 0), RangeError);
  assert.throws(() => layoutReceipt({ format: "kassa.receipt", version: 1, blocks: [] }, 4.5), RangeError);
});

// ---------------------------------------------------------------- the preview

/** The children of a Preact vnode, flattened. @param {any} vnode @returns {any[]} */
const children = (vnode) =>
  [vnode?.props?.children]
    .flat(Infinity)
    .filter((child) => child != null && child !== "" && typeof child !== "boolean");
/** A vnode's text. @param {any} vnode @returns {string} */
const textOf = (vnode) =>
  typeof vnode === "string" || typeof vnode === "number" ? String(vnode) : children(vnode).map(textOf).join("");

test("the preview shows exactly the layout's rows in a box as wide as the paper", async () => {
  const { ReceiptPreview } = await import("../../src/kassa/terminal/ui/receipt_preview.js");
  const document = /** @type {const} */ ({
    format: "kassa.receipt",
    version: 1,
    blocks: [
      { type: "text", text: "Kassa Demo Shop", align: "center", bold: true, size: "large" },
      { type: "pair", left: "Grüße 🥐", right: "2.50" },
      { type: "blank" },
      { type: "code", format: "code128", value: "T1-000042" },
    ],
  });
  const box = ReceiptPreview({ document, columns: 32 });
  assert.equal(box.props["data-test"], "receipt-preview");
  assert.equal(box.props.style.width, "32ch");
  assert.equal(box.props.style.whiteSpace, "pre");
  const [title, pair, blank, code] = children(box);
  assert.deepEqual(
    [title, pair, blank].map((row) => [
      row.props["data-test"],
      textOf(row),
      row.props.style.textAlign,
      row.props.style.fontWeight,
    ]),
    [
      ["receipt-row", "Kassa Demo Shop", "center", "bold"],
      ["receipt-row", "Grüße 🥐" + " ".repeat(21) + "2.50", "left", "normal"],
      ["receipt-row", "", "left", "normal"],
    ],
  );
  // a large row is twice as tall as a normal one, never wider
  assert.equal(title.props.style.height, "2.5em");
  assert.equal(pair.props.style.height, "1.25em");
  assert.equal(blank.props.style.height, "1.25em");
  assert.deepEqual(
    [code.props["data-test"], code.props["data-format"], textOf(code)],
    ["receipt-code", "code128", "T1-000042"],
  );
  assert.equal(children(box).length, layoutReceipt(document, 32).length);
});
