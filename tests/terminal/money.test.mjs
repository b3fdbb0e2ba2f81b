// domain/money.js against the worked cases shared with the server, and its parsing edges.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  MoneyError,
  displayMoney,
  formatAmount,
  formatDiscount,
  formatQuantity,
  formatQuantityShort,
  formatRate,
  linePrice,
  orderTotals,
  parseAmount,
  parseDiscount,
  parseQuantity,
  parseRate,
  parseTyped,
  roundDiv,
  taxBreakdown,
  typedAmount,
} from "../../src/kassa/terminal/domain/money.js";

const { cases } = JSON.parse(readFileSync(new URL("../shared/money_cases.json", import.meta.url), "utf8"));

test("the shared file has cases", () => {
  assert.ok(cases.length >= 12);
});

for (const worked of cases) {
  test(`worked case: ${worked.name}`, () => {
    // given the case's lines parsed into integers
    const places = worked.currency_places;
    const priced = worked.lines.map((line) => {
      const rate = parseRate(line.tax_rate);
      const amounts = linePrice({
        quantity: parseQuantity(line.quantity),
        unitPrice: parseAmount(line.unit_price, places),
        discount: parseDiscount(line.discount),
        rate,
        priceIncludesTax: line.price_includes_tax,
        places,
      });
      return { rate, priceIncludesTax: line.price_includes_tax, ...amounts };
    });
    // then each line, the totals and the tax breakdown are exactly the case's
    const asStrings = (/** @type {any} */ a) => ({
      net: formatAmount(a.net, places),
      tax: formatAmount(a.tax, places),
      gross: formatAmount(a.gross, places),
    });
    assert.deepEqual(
      priced.map(asStrings),
      worked.lines.map(({ net, tax, gross }) => ({ net, tax, gross })),
    );
    for (const line of priced) assert.equal(line.net + line.tax, line.gross);
    assert.deepEqual(asStrings(orderTotals(priced)), worked.totals);
    assert.deepEqual(
      taxBreakdown(priced).map((group) => ({
        rate: formatRate(group.rate),
        price_includes_tax: group.priceIncludesTax,
        ...asStrings(group),
      })),
      worked.taxes,
    );
  });
}

test("roundDiv rounds half away from zero", () => {
  assert.equal(roundDiv(5n, 2n), 3n);
  assert.equal(roundDiv(-5n, 2n), -3n);
  assert.equal(roundDiv(5n, -2n), -3n);
  assert.equal(roundDiv(-5n, -2n), 3n);
  assert.equal(roundDiv(149n, 100n), 1n);
  assert.equal(roundDiv(150n, 100n), 2n);
  assert.equal(roundDiv(-149n, 100n), -1n);
  assert.equal(roundDiv(0n, 7n), 0n);
  assert.throws(() => roundDiv(1n, 0n), RangeError);
  assert.throws(() => roundDiv(/** @type {any} */ (1), 2n), TypeError);
});

test("parsing is exact and strict", () => {
  assert.equal(parseAmount("10.00", 2), 1000);
  assert.equal(parseAmount("10", 2), 1000);
  assert.equal(parseAmount("10.5", 2), 1050);
  assert.equal(parseAmount("-0.01", 2), -1);
  assert.equal(parseAmount("1.230", 2), 123); // excess zeros are fine, as on the server
  assert.equal(parseAmount("315", 0), 315);
  assert.equal(parseAmount("-0.00", 2), 0);
  assert.ok(Object.is(parseAmount("-0.00", 2), 0));
  assert.equal(parseAmount("90071992547409.91", 2), Number.MAX_SAFE_INTEGER);
  assert.equal(parseQuantity("1.5"), 1500);
  assert.equal(parseQuantity("0.455"), 455);
  assert.equal(parseQuantity("-1"), -1000);
  assert.equal(parseDiscount("12.5"), 1250);
  assert.equal(parseDiscount("100"), 10000);
  assert.equal(parseRate("21"), 210000);
  assert.equal(parseRate("7.7"), 77000);
  assert.equal(parseRate("5.5"), 55000);
  for (const bad of [
    "",
    " 1",
    "1 ",
    "+1",
    "1e3",
    ".5",
    "5.",
    "1,00",
    "abc",
    "0x10",
    "--1",
    "1.2.3",
    "NaN",
    "Infinity",
  ]) {
    assert.throws(() => parseAmount(bad, 2), MoneyError, JSON.stringify(bad));
  }
  assert.throws(() => parseAmount("1.001", 2), /more than 2 decimals/);
  assert.throws(() => parseAmount("1.5", 0), /more than 0 decimals/);
  assert.throws(() => parseQuantity("0.0001"), MoneyError);
  assert.throws(() => parseAmount(/** @type {any} */ (10), 2), /must be a decimal string/);
  assert.throws(() => parseAmount("90071992547409.92", 2), /too large/);
  assert.throws(() => parseDiscount("100.01"), MoneyError);
  assert.throws(() => parseDiscount("-1"), MoneyError);
  assert.throws(() => parseRate("-1"), MoneyError);
  assert.throws(() => parseAmount("1", 1.5), MoneyError);
});

test("formatting gives the API's decimal strings", () => {
  assert.equal(formatAmount(1000, 2), "10.00");
  assert.equal(formatAmount(5, 2), "0.05");
  assert.equal(formatAmount(-5, 2), "-0.05");
  assert.equal(formatAmount(-826, 2), "-8.26");
  assert.equal(formatAmount(0, 2), "0.00");
  assert.equal(formatAmount(-0, 2), "0.00");
  assert.equal(formatAmount(286, 0), "286");
  assert.equal(formatAmount(12n, 3), "0.012");
  assert.equal(formatQuantity(1500), "1.500");
  assert.equal(formatQuantity(-1000), "-1.000");
  assert.equal(formatQuantityShort(3000), "3");
  assert.equal(formatQuantityShort(1250), "1.25");
  assert.equal(formatQuantityShort(455), "0.455");
  assert.equal(formatQuantityShort(10000), "10");
  assert.equal(formatQuantityShort(0), "0");
  assert.equal(formatQuantityShort(-1500), "-1.5");
  assert.equal(formatDiscount(0), "0");
  assert.equal(formatDiscount(1250), "12.5");
  assert.equal(formatDiscount(3333), "33.33");
  assert.equal(formatRate(210000), "21");
  assert.equal(formatRate(77000), "7.7");
  assert.equal(formatRate(0), "0");
  assert.throws(() => formatAmount(0.5, 2), MoneyError);
});

test("linePrice keeps exact results past 2^53 in the intermediate product", () => {
  // given 999,999.999 units at 9,999,999.99: the product quantity × price × 10000 is ~1e26
  const result = linePrice({
    quantity: 999999999,
    unitPrice: 999999999,
    discount: 0,
    rate: 210000,
    priceIncludesTax: true,
    places: 2,
  });
  // then the amount is exact: 999999.999 × 9999999.99 = 9999999980000.00001 → 999999998000000 cents
  assert.equal(result.gross, 999999998000000);
  assert.equal(result.net + result.tax, result.gross);
  // and an amount that no longer fits a safe integer is an error, not a wrong number
  assert.throws(
    () =>
      linePrice({
        quantity: 9999999999,
        unitPrice: 9999999999,
        discount: 0,
        rate: 0,
        priceIncludesTax: true,
        places: 2,
      }),
    /too large/,
  );
});

test("linePrice rejects out-of-range inputs", () => {
  const base = { quantity: 1000, unitPrice: 100, discount: 0, rate: 210000, priceIncludesTax: false, places: 2 };
  assert.throws(() => linePrice({ ...base, discount: 10001 }), MoneyError);
  assert.throws(() => linePrice({ ...base, rate: -1 }), MoneyError);
  assert.throws(() => linePrice({ ...base, quantity: 1.5 }), MoneyError);
  assert.throws(() => linePrice({ ...base, unitPrice: 0.99 }), MoneyError);
});

test("taxBreakdown sorts by rate, then excluded before included", () => {
  const lines = [
    { rate: 210000, priceIncludesTax: true, net: 1, tax: 1, gross: 2 },
    { rate: 90000, priceIncludesTax: true, net: 1, tax: 0, gross: 1 },
    { rate: 210000, priceIncludesTax: false, net: 3, tax: 1, gross: 4 },
    { rate: 210000, priceIncludesTax: true, net: 5, tax: 1, gross: 6 },
  ];
  assert.deepEqual(taxBreakdown(lines), [
    { rate: 90000, priceIncludesTax: true, net: 1, tax: 0, gross: 1 },
    { rate: 210000, priceIncludesTax: false, net: 3, tax: 1, gross: 4 },
    { rate: 210000, priceIncludesTax: true, net: 6, tax: 2, gross: 8 },
  ]);
  assert.deepEqual(taxBreakdown([]), []);
  assert.deepEqual(orderTotals([]), { net: 0, tax: 0, gross: 0 });
});

test("displayMoney formats with Intl for the screen", () => {
  assert.equal(displayMoney(123456, "EUR", "en-US"), "€1,234.56");
  assert.equal(displayMoney(-826, "EUR", "en-US"), "-€8.26");
  assert.equal(displayMoney(315, "JPY", "en-US"), "¥315");
  assert.equal(displayMoney(28, "EUR", "en-US"), "€0.28");
  assert.equal(displayMoney(90071992547409, "USD", "en-US"), "$900,719,925,474.09");
  assert.match(displayMoney(123456, "EUR", "de-DE"), /^1\.234,56\s€$/);
});

test("a typed amount the currency cannot hold is null, not an exception (the payment pad renders it)", () => {
  // given what a cashier can type on a numpad (digits, one ".", at most 12 characters)
  assert.equal(typedAmount("1.234", 2), null);
  assert.equal(typedAmount("1.23", 2), 123);
  assert.equal(typedAmount("12.", 2), 1200);
  assert.equal(typedAmount("0.", 2), 0);
  assert.equal(typedAmount("1.230", 2), 123); // extra zeros, as parseAmount takes them
  assert.equal(typedAmount("", 2), null);
  assert.equal(typedAmount("5.", 0), 5);
  assert.equal(typedAmount("5.5", 0), null);
  assert.equal(typedAmount("999999999999", 2), 99999999999900);
  // a decimal comma, as a German cashier types it, is the decimal point; nothing else is
  assert.equal(typedAmount("12,50", 2), 1250);
  assert.equal(typedAmount("12,", 2), 1200);
  assert.equal(typedAmount("-0,5", 2), -50);
  assert.equal(typedAmount("1,234", 2), null);
  assert.equal(typedAmount("1,234.50", 2), null);
  assert.equal(typedAmount("1.234,50", 2), null);
  assert.equal(typedAmount("1,2,3", 2), null);
  assert.equal(parseTyped("0,455", parseQuantity), 455);
  // the same reading for the other kinds
  assert.equal(parseTyped("0.455", parseQuantity), 455);
  assert.equal(parseTyped("1.2345", parseQuantity), null);
  assert.equal(parseTyped("12.5", parseDiscount), 1250);
  assert.equal(parseTyped("101", parseDiscount), null);
  // a bug in the parser is not hidden as "not a number"
  assert.throws(
    () =>
      parseTyped("1", () => {
        throw new TypeError("bug");
      }),
    TypeError,
  );
});
