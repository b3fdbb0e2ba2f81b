// domain/search.js's normalisation against the worked cases shared with the server
// (tests/shared/search_cases.json, also run by tests/server/catalog/test_tillindex.py, which
// builds the shared catalog's index on both sides and compares the bytes), and the binary
// form of the index the server sends (sync/catalog_snapshot.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  buildSearchIndex,
  lookupBarcode,
  restoreSearchIndex,
  searchProducts,
  storableSearchIndex,
} from "../../src/kassa/terminal/domain/search.js";
import { decodeIndex, encodeIndex } from "../../src/kassa/terminal/sync/catalog_snapshot.js";

const cases = JSON.parse(readFileSync(new URL("../shared/search_cases.json", import.meta.url), "utf8"));

test("the shared file has every kind of case", () => {
  for (const kind of ["names", "refs", "barcodes", "catalog"]) assert.ok(cases[kind].length >= 7, kind);
});

for (const [name, normal] of cases.names) {
  test(`name ${JSON.stringify(name)}`, () => {
    assert.equal(buildSearchIndex([{ id: 1, name }]).norm.text, normal);
  });
}

for (const [ref, key] of cases.refs) {
  test(`reference ${JSON.stringify(ref)}`, () => {
    assert.equal(buildSearchIndex([{ id: 1, name: "x", ref }]).refKeys.text, key);
  });
}

for (const [code, key] of cases.barcodes) {
  test(`barcode ${JSON.stringify(code)}`, () => {
    assert.equal(buildSearchIndex([{ id: 1, name: "x", barcodes: [code] }]).barcodeKeys.text, key);
  });
}

/** @param {Uint8Array} bytes */
const bufferOf = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

test("the binary form gives back the index it was made from, and it searches alike", () => {
  const stored = storableSearchIndex(buildSearchIndex(cases.catalog));
  const { format, version, index } = decodeIndex(bufferOf(encodeIndex(stored, 12)));
  assert.equal(format, stored.format);
  assert.equal(version, 12);
  assert.deepEqual(index, stored);
  // each typed array in its own memory: IndexedDB stores a column alone
  assert.equal(index.postings.byteOffset, 0);
  assert.equal(index.postings.buffer.byteLength, index.postings.byteLength);
  const restored = restoreSearchIndex(index);
  const built = buildSearchIndex(cases.catalog);
  for (const query of ["creme", "brulee 2", "b0001", "strasse", "𐐨"]) {
    assert.deepEqual(searchProducts(restored, query), searchProducts(built, query), query);
  }
  assert.deepEqual(
    lookupBarcode(restored, "12345678905").map((p) => p.id),
    lookupBarcode(built, "12345678905").map((p) => p.id),
  );
});

test("a value of an extra column that has a key `$` of its own comes back as it was", () => {
  const catalog = [
    { id: 1, name: "a", odd: { $: "i32", at: 0, n: 5 } },
    { id: 2, name: "b", odd: 3 },
  ];
  const stored = storableSearchIndex(buildSearchIndex(catalog));
  assert.deepEqual(decodeIndex(bufferOf(encodeIndex(stored, 1))).index, stored);
});

test("what is not an index, or one cut short, is refused", () => {
  const bytes = encodeIndex(storableSearchIndex(buildSearchIndex(cases.catalog)), 1);
  assert.throws(() => decodeIndex(bufferOf(new TextEncoder().encode('{"error": {}}'))), /not a catalog index/);
  assert.throws(() => decodeIndex(bufferOf(bytes.subarray(0, bytes.length - 200))), /cut short/);
});
