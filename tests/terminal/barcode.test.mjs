// domain/barcode.js: check digits, UPC-A normalisation and embedded weight/price codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_PATTERNS,
  checkDigit,
  embeddedLookupCode,
  isValidGtin,
  normalizeBarcode,
  parseBarcode,
  validatePatterns,
} from "../../src/kassa/terminal/domain/barcode.js";

test("check digits of published codes", () => {
  assert.equal(checkDigit("400638133393"), 1); // EAN-13 4006381333931
  assert.equal(checkDigit("03600029145"), 2); // UPC-A 036000291452
  assert.equal(checkDigit("9638507"), 4); // EAN-8 96385074
  assert.equal(checkDigit("230500012345"), 1);
  assert.equal(checkDigit("210000508000"), 2);
  for (const valid of ["4006381333931", "036000291452", "96385074", "73513537", "5901234123457", "0036000291452"]) {
    assert.ok(isValidGtin(valid), valid);
  }
  for (const invalid of ["4006381333932", "036000291453", "96385075", "123", "40063813339311", "abcdefgh"]) {
    assert.ok(!isValidGtin(invalid), invalid);
  }
  assert.throws(() => checkDigit("12a"), TypeError);
});

test("UPC-A is looked up as EAN-13 with a leading zero", () => {
  assert.equal(normalizeBarcode("036000291452"), "0036000291452");
  assert.equal(normalizeBarcode("4006381333931"), "4006381333931");
  assert.equal(normalizeBarcode("96385074"), "96385074");
  assert.deepEqual(parseBarcode("036000291452"), { kind: "plain", code: "036000291452", lookupCode: "0036000291452" });
  assert.deepEqual(parseBarcode("0036000291452"), {
    kind: "plain",
    code: "0036000291452",
    lookupCode: "0036000291452",
  });
  assert.deepEqual(parseBarcode("96385074"), { kind: "plain", code: "96385074", lookupCode: "96385074" });
});

test("embedded price: 2305000123451 is 123.45 for item 05000", () => {
  assert.deepEqual(parseBarcode("2305000123451"), {
    kind: "price",
    code: "2305000123451",
    lookupCode: "2305000000004",
    itemCode: "05000",
    value: 12345,
  });
  assert.ok(isValidGtin("2305000000004"));
});

test("embedded weight: 2100005080002 is 8.000 kg of item 00005", () => {
  const lookupCode = embeddedLookupCode("21", "00005", 5);
  assert.equal(lookupCode, "2100005000000"); // the stored form: value zeroed, check digit 0
  assert.deepEqual(parseBarcode("2100005080002"), {
    kind: "weight",
    code: "2100005080002",
    lookupCode,
    itemCode: "00005",
    value: 8000,
  });
});

test("errors say what is wrong", () => {
  assert.equal(/** @type {any} */ (parseBarcode("2305000123452")).error, "check_digit");
  assert.equal(/** @type {any} */ (parseBarcode("12345")).error, "length");
  assert.equal(/** @type {any} */ (parseBarcode("400638133393111")).error, "length");
  // a GTIN-14 is read like the server stores it: its check digit is checked
  assert.equal(/** @type {any} */ (parseBarcode("40063813339311")).error, "check_digit");
  assert.equal(/** @type {any} */ (parseBarcode("40063813339a1")).error, "characters");
  assert.equal(/** @type {any} */ (parseBarcode("")).error, "characters");
  assert.match(/** @type {any} */ (parseBarcode("2305000123452")).message, /check digit/);
});

test("a code with a prefix no pattern claims is plain", () => {
  assert.deepEqual(parseBarcode("2212345678907"), {
    kind: "plain",
    code: "2212345678907",
    lookupCode: "2212345678907",
  });
  // without patterns, a 21… code is plain too
  assert.equal(parseBarcode("2100005080002", []).kind, "plain");
});

test("patterns are configuration: the same code as a price in another shop", () => {
  // given a shop where 21 means price in cents with a 4-digit item and a 6-digit value
  const patterns = [{ prefix: "21", kind: /** @type {const} */ ("price"), itemDigits: 4, valueDigits: 6, decimals: 2 }];
  // then 2100005080002 is item 0000 at 5080.00 (508000 cents)
  assert.deepEqual(parseBarcode("2100005080002", patterns), {
    kind: "price",
    code: "2100005080002",
    lookupCode: "2100000000005",
    itemCode: "0000",
    value: 508000,
  });
  // and in a currency without minor units a price with 0 decimals is the amount itself
  const yen = [{ prefix: "23", kind: /** @type {const} */ ("price"), itemDigits: 5, valueDigits: 5, decimals: 0 }];
  assert.equal(/** @type {any} */ (parseBarcode("2305000123451", yen, { places: 0 })).value, 12345);
  // and a weight in 10-gram units (2 decimals) becomes thousandths
  const coarse = [{ prefix: "21", kind: /** @type {const} */ ("weight"), itemDigits: 5, valueDigits: 5, decimals: 2 }];
  assert.equal(/** @type {any} */ (parseBarcode("2100005080002", coarse)).value, 80000);
});

test("the longest matching prefix wins; UPC number system 2 matches prefix 02", () => {
  const patterns = [
    ...DEFAULT_PATTERNS,
    { prefix: "234", kind: /** @type {const} */ ("weight"), itemDigits: 4, valueDigits: 5, decimals: 3 },
    { prefix: "02", kind: /** @type {const} */ ("price"), itemDigits: 5, valueDigits: 5, decimals: 2 },
  ];
  const head = "234123401500";
  const code = head + checkDigit(head);
  assert.equal(/** @type {any} */ (parseBarcode(code, patterns)).kind, "weight");
  assert.equal(/** @type {any} */ (parseBarcode(code, patterns)).value, 1500);
  // a UPC-A "2 12345 00199 c" is "02 12345 00199 c" in EAN-13 form
  const upcHead = "21234500199";
  const upc = upcHead + checkDigit(upcHead);
  assert.deepEqual(parseBarcode(upc, patterns), {
    kind: "price",
    code: upc,
    lookupCode: embeddedLookupCode("02", "12345", 5),
    itemCode: "12345",
    value: 199,
  });
});

test("other symbologies only when asked for", () => {
  assert.equal(/** @type {any} */ (parseBarcode("ABC-123")).error, "characters");
  assert.deepEqual(parseBarcode("ABC-123", DEFAULT_PATTERNS, { acceptOther: true }), {
    kind: "plain",
    code: "ABC-123",
    lookupCode: "ABC-123",
  });
  assert.deepEqual(parseBarcode("123456", DEFAULT_PATTERNS, { acceptOther: true }), {
    kind: "plain",
    code: "123456",
    lookupCode: "123456",
  });
  // a 13-digit code is still checked: a misread is never looked up
  assert.equal(
    /** @type {any} */ (parseBarcode("4006381333932", DEFAULT_PATTERNS, { acceptOther: true })).error,
    "check_digit",
  );
});

test("bad patterns are refused", () => {
  validatePatterns(DEFAULT_PATTERNS);
  const bad = (/** @type {any} */ change) => () => validatePatterns([{ ...DEFAULT_PATTERNS[0], ...change }]);
  assert.throws(bad({ itemDigits: 4 }), /13 digits/);
  assert.throws(bad({ prefix: "2a" }), /prefix/);
  assert.throws(bad({ kind: "count" }), /kind/);
  assert.throws(bad({ decimals: 4 }), /decimals/);
  assert.throws(() => validatePatterns([{ ...DEFAULT_PATTERNS[1], decimals: 3 }], 2), /decimals/);
  assert.throws(() => embeddedLookupCode("21", "0005", 5), TypeError);
});
