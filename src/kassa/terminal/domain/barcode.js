// @ts-check
/**
 * Barcodes: EAN-8, UPC-A, EAN-13 and GTIN-14 check digits, and in-store codes with an embedded
 * weight or price (prefixes 20–29, whose layout is configuration, not a standard).
 *
 * Lookup keys: a UPC-A code (12 digits) is looked up as its EAN-13 form ("0" + code), so a
 * product stored with either form is found by either scan (`normalizeBarcode`). An embedded
 * code is looked up by its prefix and item digits, with the value digits set to zero and
 * the check digit recomputed: `2305000123451` → `2305000000004`, `2100005080002` → `2100005000000`. That is the barcode the
 * back office stores on such a product.
 */

/**
 * @typedef {object} EmbeddedPattern
 * @property {string} prefix       leading digits of the EAN-13 form, e.g. "21"; UPC-A
 *                                 number system 2 is "02" in EAN-13 form
 * @property {"weight" | "price"} kind
 * @property {number} itemDigits   digits of the item code after the prefix
 * @property {number} valueDigits  digits of the value after the item code
 * @property {number} decimals     decimals of the value: 3 for grams as kg, 2 for cents
 */

/** @type {readonly EmbeddedPattern[]} */
export const DEFAULT_PATTERNS = Object.freeze([
  Object.freeze({ prefix: "21", kind: "weight", itemDigits: 5, valueDigits: 5, decimals: 3 }),
  Object.freeze({ prefix: "23", kind: "price", itemDigits: 5, valueDigits: 5, decimals: 2 }),
]);

/**
 * @typedef {object} PlainBarcode
 * @property {"plain"} kind
 * @property {string} code        the scanned code as it came
 * @property {string} lookupCode  the key to look the product up by
 *
 * @typedef {object} EmbeddedBarcode
 * @property {"weight" | "price"} kind
 * @property {string} code
 * @property {string} lookupCode  prefix + item digits + zeros + recomputed check digit
 * @property {string} itemCode    the item digits alone, e.g. "05000"
 * @property {number} value       weight: quantity in thousandths (8.000 kg → 8000);
 *                                price: minor units at `places` (123.45 → 12345)
 *
 * @typedef {object} BarcodeError
 * @property {"check_digit" | "length" | "characters"} error
 * @property {string} message
 */

/**
 * The GS1 check digit for `digits` (the code without its check digit): weights 3, 1, 3, …
 * from the right; check = (10 − sum mod 10) mod 10.
 * @param {string} digits
 * @returns {number}
 */
export function checkDigit(digits) {
  if (!/^\d+$/.test(digits)) throw new TypeError(`checkDigit: ${JSON.stringify(digits)} is not digits`);
  let sum = 0;
  for (let i = digits.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += (digits.charCodeAt(i) - 48) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Whether an EAN-8, UPC-A (12), EAN-13 or GTIN-14 code has a correct check digit. The server
 * stores all four (catalog/barcodes.py); tests/shared/barcode_cases.json holds both to it.
 * @param {string} code
 * @returns {boolean}
 */
export function isValidGtin(code) {
  return /^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code) && checkDigit(code.slice(0, -1)) === Number(code[code.length - 1]);
}

/**
 * The form a barcode is stored and looked up in: a 12-digit UPC-A becomes its 13-digit
 * EAN-13 form; anything else is returned unchanged (trimmed). The search index applies it to
 * catalog barcodes and `parseBarcode` to scans, so both sides agree.
 * @param {string} code
 * @returns {string}
 */
export function normalizeBarcode(code) {
  const trimmed = code.trim();
  return /^\d{12}$/.test(trimmed) ? "0" + trimmed : trimmed;
}

/**
 * Check a pattern list; throws a TypeError naming the first bad pattern.
 * @param {readonly EmbeddedPattern[]} patterns
 * @param {number} places the currency's decimals, which a price value may not exceed
 */
export function validatePatterns(patterns, places = 2) {
  for (const pattern of patterns) {
    const { prefix, kind, itemDigits, valueDigits, decimals } = pattern;
    const where = `barcode pattern ${JSON.stringify(pattern)}`;
    if (!/^\d{1,3}$/.test(prefix)) throw new TypeError(`${where}: prefix must be 1 to 3 digits`);
    if (kind !== "weight" && kind !== "price") throw new TypeError(`${where}: kind must be weight or price`);
    if (!Number.isInteger(itemDigits) || !Number.isInteger(valueDigits) || itemDigits < 1 || valueDigits < 1) {
      throw new TypeError(`${where}: itemDigits and valueDigits must be positive integers`);
    }
    if (prefix.length + itemDigits + valueDigits + 1 !== 13) {
      throw new TypeError(`${where}: prefix + item + value + check digit must make 13 digits`);
    }
    const maxDecimals = kind === "weight" ? 3 : places;
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > maxDecimals) {
      throw new TypeError(`${where}: decimals must be 0..${maxDecimals}`);
    }
  }
}

/**
 * Interpret a scanned code.
 *
 * Accepts EAN-8, UPC-A, EAN-13 and GTIN-14 with a valid check digit. An EAN-13 (or UPC-A in EAN-13
 * form) whose leading digits match a pattern is an embedded weight or price; the longest
 * matching prefix wins. With `acceptOther`, any other code of 1–64 printable ASCII characters
 * (Code 128, Code 39 internal labels) is a plain code looked up as it is.
 *
 * @param {string} code
 * @param {readonly EmbeddedPattern[]} [patterns]
 * @param {{places?: number, acceptOther?: boolean}} [options] places: the currency's decimals
 *        for price values (default 2)
 * @returns {PlainBarcode | EmbeddedBarcode | BarcodeError}
 */
export function parseBarcode(code, patterns = DEFAULT_PATTERNS, { places = 2, acceptOther = false } = {}) {
  const scanned = code.trim();
  if (!/^\d+$/.test(scanned)) {
    if (acceptOther && /^[\x21-\x7e]{1,64}$/.test(scanned)) return { kind: "plain", code, lookupCode: scanned };
    return { error: "characters", message: `barcode ${JSON.stringify(code)} has characters other than digits` };
  }
  if (![8, 12, 13, 14].includes(scanned.length)) {
    if (acceptOther && scanned.length <= 64) return { kind: "plain", code, lookupCode: scanned };
    return {
      error: "length",
      message: `barcode ${scanned} has ${scanned.length} digits; EAN-8, UPC-A, EAN-13 and GTIN-14 have 8, 12, 13 and 14`,
    };
  }
  if (!isValidGtin(scanned)) {
    return { error: "check_digit", message: `barcode ${scanned} has a wrong check digit (misread?)` };
  }
  const lookupCode = normalizeBarcode(scanned);
  if (lookupCode.length !== 13) return { kind: "plain", code, lookupCode };

  let pattern = null;
  for (const candidate of patterns) {
    if (lookupCode.startsWith(candidate.prefix) && (!pattern || candidate.prefix.length > pattern.prefix.length)) {
      pattern = candidate;
    }
  }
  if (!pattern) return { kind: "plain", code, lookupCode };
  validatePatterns([pattern], places);

  const itemEnd = pattern.prefix.length + pattern.itemDigits;
  const itemCode = lookupCode.slice(pattern.prefix.length, itemEnd);
  const raw = Number(lookupCode.slice(itemEnd, itemEnd + pattern.valueDigits));
  const unitPlaces = pattern.kind === "weight" ? 3 : places;
  return {
    kind: pattern.kind,
    code,
    lookupCode: embeddedLookupCode(pattern.prefix, itemCode, pattern.valueDigits),
    itemCode,
    value: raw * 10 ** (unitPlaces - pattern.decimals),
  };
}

/**
 * The lookup code of an embedded-barcode item, for the back office and for tests:
 * embeddedLookupCode("23", "05000", 5) → "2305000000004".
 * @param {string} prefix
 * @param {string} itemCode
 * @param {number} valueDigits
 * @returns {string}
 */
export function embeddedLookupCode(prefix, itemCode, valueDigits) {
  const head = prefix + itemCode + "0".repeat(valueDigits);
  if (head.length !== 12) throw new TypeError("embeddedLookupCode: prefix + item + value must be 12 digits");
  return head + checkDigit(head);
}
