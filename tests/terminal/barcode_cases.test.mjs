// domain/barcode.js against the worked cases shared with the server
// (tests/shared/barcode_cases.json, also run by tests/server/catalog/test_barcodes.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  DEFAULT_PATTERNS,
  checkDigit,
  isValidGtin,
  normalizeBarcode,
  parseBarcode,
  validatePatterns,
} from "../../src/kassa/terminal/domain/barcode.js";

const cases = JSON.parse(readFileSync(new URL("../shared/barcode_cases.json", import.meta.url), "utf8"));

/** @param {any} worked */
const patternsOf = (worked) => (worked.patterns === "default" ? DEFAULT_PATTERNS : worked.patterns);

test("the shared file has every kind of case", () => {
  for (const kind of ["check_digits", "normalise", "not_barcodes", "patterns", "scans"]) {
    assert.ok(cases[kind].length >= 7, kind);
  }
});

for (const worked of cases.check_digits) {
  test(`check digit: ${worked.name}`, () => {
    const code = worked.code;
    assert.equal(checkDigit(code.slice(0, -1)) === Number(code.at(-1)), worked.valid);
    assert.equal(isValidGtin(code), worked.valid);
    const parsed = /** @type {any} */ (parseBarcode(code, DEFAULT_PATTERNS, { acceptOther: true }));
    assert.equal(parsed.error, worked.valid ? undefined : "check_digit");
  });
}

for (const worked of cases.normalise) {
  test(`normalise: ${worked.name}`, () => {
    assert.equal(normalizeBarcode(worked.code), worked.stored);
    const parsed = /** @type {any} */ (parseBarcode(worked.code, [], { acceptOther: true }));
    assert.equal(parsed.lookupCode, worked.stored);
  });
}

for (const worked of cases.not_barcodes) {
  test(`not a barcode: ${worked.name}`, () => {
    for (const acceptOther of [false, true]) {
      const parsed = /** @type {any} */ (parseBarcode(worked.code, DEFAULT_PATTERNS, { acceptOther }));
      assert.ok(parsed.error, `${JSON.stringify(worked.code)} acceptOther=${acceptOther}`);
      assert.equal(parsed.kind, undefined);
    }
  });
}

for (const worked of cases.patterns) {
  test(`patterns: ${worked.name}`, () => {
    const check = () => validatePatterns(patternsOf(worked), worked.places);
    if (worked.valid) check();
    else assert.throws(check, TypeError);
  });
}

for (const worked of cases.scans) {
  test(`scan: ${worked.name}`, () => {
    const expected =
      worked.kind === "plain"
        ? { kind: "plain", code: worked.code, lookupCode: worked.lookup_code }
        : {
            kind: worked.kind,
            code: worked.code,
            lookupCode: worked.lookup_code,
            itemCode: worked.item_code,
            value: worked.value,
          };
    for (const acceptOther of [false, true]) {
      assert.deepEqual(parseBarcode(worked.code, patternsOf(worked), { places: worked.places, acceptOther }), expected);
    }
  });
}
