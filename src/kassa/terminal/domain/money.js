// @ts-check
/**
 * Money arithmetic for the terminal, in integers only.
 *
 * Representation (one for each kind of number, all plain JS `number` integers that are
 * checked with `Number.isSafeInteger`; every product of two or more of them is computed
 * with BigInt, because quantity × price × discount can pass 2^53):
 *
 * | kind      | unit                                   | "10.00" / "1.5" / "12.5" / "7.7" |
 * |-----------|----------------------------------------|----------------------------------|
 * | amount    | minor units of the currency (`places`) | 1000 (places = 2)                |
 * | quantity  | thousandths (milli-units)              | 1500                             |
 * | discount  | hundredths of a percent                | 1250                             |
 * | tax rate  | ten-thousandths of a percent           | 77000                            |
 *
 * The algorithm and the single rounding rule (half away from zero) are those of
 * `src/kassa/money.py`; both are held to `tests/shared/money_cases.json`.
 */

export const QUANTITY_PLACES = 3;
export const DISCOUNT_PLACES = 2;
export const RATE_PLACES = 4;

const QUANTITY_SCALE = 1000n; // 10 ** QUANTITY_PLACES
const PERCENT_DISCOUNT = 10000n; // 100 % in hundredths of a percent
const PERCENT_RATE = 1000000n; // 100 % in ten-thousandths of a percent

/** A value that cannot be money: not a decimal string, too many decimals, out of range. */
export class MoneyError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "MoneyError";
  }
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parse a plain decimal string ("-12.50", "3", "0.455") into an integer scaled by
 * 10^places. Rejects anything else: numbers, whitespace, "+", exponents, ".5", "5.".
 * Decimals beyond `places` are accepted only when they are zeros ("1.0000" for 3 places),
 * as the server's `to_decimal` does.
 * @param {string} text
 * @param {number} places
 * @param {string} [field] named in the error message
 * @returns {number}
 */
export function parseDecimal(text, places, field = "value") {
  if (typeof text !== "string") {
    throw new MoneyError(`${field}: must be a decimal string, not ${typeof text}`);
  }
  const match = DECIMAL.exec(text);
  if (!match) throw new MoneyError(`${field}: ${JSON.stringify(text)} is not a decimal number`);
  const [, sign, whole, fraction = ""] = match;
  if (/[^0]/.test(fraction.slice(places))) {
    throw new MoneyError(`${field}: ${JSON.stringify(text)} has more than ${places} decimals`);
  }
  const digits = whole + fraction.slice(0, places).padEnd(places, "0");
  const value = Number(BigInt(digits)) * (sign ? -1 : 1);
  if (!Number.isSafeInteger(value)) throw new MoneyError(`${field}: ${JSON.stringify(text)} is too large`);
  return value === 0 ? 0 : value; // no -0
}

/**
 * Format an integer scaled by 10^places as a decimal string with exactly `places` decimals.
 * @param {number | bigint} scaled
 * @param {number} places
 * @returns {string}
 */
export function formatDecimal(scaled, places) {
  const value = toBigInt(scaled, "value");
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const fraction = places > 0 ? "." + digits.slice(digits.length - places) : "";
  return (negative ? "-" : "") + whole + fraction;
}

/**
 * Like formatDecimal, without trailing fractional zeros: 1250 → "12.5", 210000 → "21".
 * @param {number | bigint} scaled
 * @param {number} places
 */
function formatDecimalShort(scaled, places) {
  const text = formatDecimal(scaled, places);
  return places > 0 ? text.replace(/\.?0+$/, "") : text;
}

/**
 * "10.00" → 1000 minor units (for places = 2). Amounts are the currency's minor units.
 * @param {string} text
 * @param {number} places the currency's number of decimals (2 for EUR, 0 for JPY)
 * @returns {number}
 */
export function parseAmount(text, places) {
  checkPlaces(places);
  return parseDecimal(text, places, "amount");
}

/**
 * A number as the cashier typed it on a numpad, read by `parse` (parseAmount, parseQuantity,
 * parseDiscount): a trailing "." (decimals not typed yet) is ignored, and a decimal comma
 * is a decimal point ("12,50": a German cashier types it, and a German keyboard's numeric
 * keypad sends it; a till's typed number has no thousands separators, so one comma can only
 * be the decimal mark, and "1,234.5" is refused). Null, not an exception, when `parse`
 * refuses it ("1.234" as an amount with 2 places), so a screen can show the typed text as
 * invalid while it renders.
 * @param {string} buffer
 * @param {(text: string) => number} parse
 * @returns {number | null}
 */
export function parseTyped(buffer, parse) {
  const text = /^-?\d*,\d*$/.test(buffer) ? buffer.replace(",", ".") : buffer;
  try {
    return parse(text.replace(/\.$/, ""));
  } catch (error) {
    if (error instanceof MoneyError) return null;
    throw error;
  }
}

/**
 * An amount typed on a numpad ("12." is 12.00), in minor units; null when it is not an
 * amount at `places`.
 * @param {string} buffer
 * @param {number} places
 * @returns {number | null}
 */
export function typedAmount(buffer, places) {
  return parseTyped(buffer, (text) => parseAmount(text, places));
}

/**
 * 1000 → "10.00" (places = 2); the form the server API uses.
 * @param {number | bigint} minor
 * @param {number} places
 * @returns {string}
 */
export function formatAmount(minor, places) {
  checkPlaces(places);
  return formatDecimal(minor, places);
}

/** "1.5" → 1500 thousandths. @param {string} text @returns {number} */
export function parseQuantity(text) {
  return parseDecimal(text, QUANTITY_PLACES, "quantity");
}

/** 1500 → "1.500". @param {number | bigint} milli @returns {string} */
export function formatQuantity(milli) {
  return formatDecimal(milli, QUANTITY_PLACES);
}

/** A quantity as people read it, without trailing zeros: 3000 → "3", 1250 → "1.25". @param {number | bigint} milli @returns {string} */
export function formatQuantityShort(milli) {
  return formatDecimalShort(milli, QUANTITY_PLACES);
}

/** "12.5" → 1250 hundredths of a percent; must be within 0..100 %. @param {string} text @returns {number} */
export function parseDiscount(text) {
  const value = parseDecimal(text, DISCOUNT_PLACES, "discount");
  checkDiscount(value);
  return value;
}

/** 1250 → "12.5", 0 → "0". @param {number} discount @returns {string} */
export function formatDiscount(discount) {
  return formatDecimalShort(discount, DISCOUNT_PLACES);
}

/** "7.7" → 77000 ten-thousandths of a percent; must not be negative. @param {string} text @returns {number} */
export function parseRate(text) {
  const value = parseDecimal(text, RATE_PLACES, "tax rate");
  checkRate(value);
  return value;
}

/** 77000 → "7.7", 210000 → "21". @param {number} rate @returns {string} */
export function formatRate(rate) {
  return formatDecimalShort(rate, RATE_PLACES);
}

/**
 * numerator / denominator rounded half away from zero: the only rounding Kassa does.
 * @param {bigint} numerator
 * @param {bigint} denominator
 * @returns {bigint}
 */
export function roundDiv(numerator, denominator) {
  if (typeof numerator !== "bigint" || typeof denominator !== "bigint") {
    throw new TypeError("roundDiv takes BigInt arguments");
  }
  if (denominator === 0n) throw new RangeError("roundDiv: division by zero");
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (2n * n + d) / (2n * d); // BigInt division truncates: floor for n, d ≥ 0
  return negative ? -quotient : quotient;
}

/**
 * @typedef {object} TaxedAmount
 * @property {number} net   minor units
 * @property {number} tax   minor units
 * @property {number} gross minor units; net + tax === gross always
 */

/**
 * @typedef {object} LinePriceInput
 * @property {number} quantity   thousandths; negative for a returned item
 * @property {number} unitPrice  minor units at the currency's places
 * @property {number} discount   hundredths of a percent, 0..10000
 * @property {number} rate       ten-thousandths of a percent
 * @property {boolean} priceIncludesTax
 * @property {number} places     the currency's number of decimals
 */

/**
 * Price one line: amount = round(quantity × unit price × (100 − discount %) / 100), then
 * split into net, tax and gross (tax = round(amount × rate / (100 + rate)) when the price
 * includes tax, else round(net × rate / 100)). Two roundings, both half away from zero.
 * @param {LinePriceInput} input
 * @returns {TaxedAmount}
 */
export function linePrice({ quantity, unitPrice, discount, rate, priceIncludesTax, places }) {
  checkPlaces(places);
  checkDiscount(discount);
  checkRate(rate);
  const amount = roundDiv(
    toBigInt(quantity, "quantity") * toBigInt(unitPrice, "unit price") * (PERCENT_DISCOUNT - BigInt(discount)),
    QUANTITY_SCALE * PERCENT_DISCOUNT,
  );
  const r = BigInt(rate);
  if (priceIncludesTax) {
    const tax = roundDiv(amount * r, PERCENT_RATE + r);
    return taxed(amount - tax, tax, amount);
  }
  const tax = roundDiv(amount * r, PERCENT_RATE);
  return taxed(amount, tax, amount + tax);
}

/**
 * Sum of the lines' net, tax and gross.
 * @param {Iterable<TaxedAmount>} lines
 * @returns {TaxedAmount}
 */
export function orderTotals(lines) {
  let net = 0n;
  let tax = 0n;
  let gross = 0n;
  for (const line of lines) {
    net += BigInt(line.net);
    tax += BigInt(line.tax);
    gross += BigInt(line.gross);
  }
  return taxed(net, tax, gross);
}

/**
 * @typedef {TaxedAmount & {rate: number, priceIncludesTax: boolean}} TaxGroup
 */

/**
 * Lines grouped by (rate, priceIncludesTax) with net, tax and gross summed; sorted by rate
 * ascending, then tax-excluded before tax-included.
 * @param {Iterable<TaxedAmount & {rate: number, priceIncludesTax: boolean}>} lines
 * @returns {TaxGroup[]}
 */
export function taxBreakdown(lines) {
  /** @type {Map<string, {rate: number, priceIncludesTax: boolean, lines: TaxedAmount[]}>} */
  const groups = new Map();
  for (const line of lines) {
    const key = `${line.rate}/${line.priceIncludesTax}`;
    let group = groups.get(key);
    if (!group) {
      group = { rate: line.rate, priceIncludesTax: line.priceIncludesTax, lines: [] };
      groups.set(key, group);
    }
    group.lines.push(line);
  }
  return [...groups.values()]
    .sort((a, b) => a.rate - b.rate || Number(a.priceIncludesTax) - Number(b.priceIncludesTax))
    .map(({ rate, priceIncludesTax, lines }) => ({ rate, priceIncludesTax, ...orderTotals(lines) }));
}

/** @type {Map<string, Intl.NumberFormat>} */
const formatters = new Map();

/**
 * The number of decimals Intl knows for an ISO 4217 currency (EUR → 2, JPY → 0).
 * @param {string} currency
 * @returns {number}
 */
export function currencyPlaces(currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * For display only: 1234 EUR nl-NL → "€ 12,34". The value goes to Intl as an exact decimal
 * string, never through a float computed from the minor units.
 * @param {number | bigint} minor
 * @param {string} currency ISO 4217 code
 * @param {string | string[]} [locale] BCP 47; the runtime's default when omitted
 * @param {number} [places] the currency's decimals as the server configures them
 * @returns {string}
 */
export function displayMoney(minor, currency, locale, places = currencyPlaces(currency)) {
  const key = `${currency}|${locale}|${places}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: places,
      maximumFractionDigits: places,
    });
    formatters.set(key, formatter);
  }
  // Intl.NumberFormat v3 formats a decimal string exactly; older engines turn it into the
  // nearest double, which still rounds back to the same `places` decimals.
  return formatter.format(/** @type {any} */ (formatAmount(minor, places)));
}

/**
 * @param {bigint} net
 * @param {bigint} tax
 * @param {bigint} gross
 * @returns {TaxedAmount}
 */
function taxed(net, tax, gross) {
  return { net: toSafeNumber(net), tax: toSafeNumber(tax), gross: toSafeNumber(gross) };
}

/** @param {bigint} value */
function toSafeNumber(value) {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new MoneyError(`amount ${value} is too large`);
  return number === 0 ? 0 : number;
}

/**
 * @param {number | bigint} value
 * @param {string} field
 * @returns {bigint}
 */
function toBigInt(value, field) {
  if (typeof value === "bigint") return value;
  if (!Number.isSafeInteger(value)) throw new MoneyError(`${field}: ${value} is not a safe integer`);
  return BigInt(value);
}

/** @param {number} places */
function checkPlaces(places) {
  if (!Number.isInteger(places) || places < 0 || places > 6) {
    throw new MoneyError(`places: ${places} is not an integer from 0 to 6`);
  }
}

/** @param {number} discount */
function checkDiscount(discount) {
  if (!Number.isSafeInteger(discount) || discount < 0 || discount > 10000) {
    throw new MoneyError(`discount: ${discount} is not within 0..10000 hundredths of a percent`);
  }
}

/** @param {number} rate */
function checkRate(rate) {
  if (!Number.isSafeInteger(rate) || rate < 0) {
    throw new MoneyError(`tax rate: ${rate} is not a non-negative integer`);
  }
}
