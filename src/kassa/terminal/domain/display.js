// @ts-check
/**
 * The customer display's text, every frame of it: the terminal decides each character and
 * the proxy only shows the lines (`POST display {"lines": [...]}`). Amounts with the till's
 * currency places, lines cut to the display's size (the proxy's `status.display.size`,
 * [rows, columns]; 2 × 20 when unknown). Pure.
 */
import { formatAmount, formatQuantityShort } from "./money.js";

/** @typedef {{rows: number, columns: number}} DisplaySize */

/** @type {DisplaySize} */
export const DEFAULT_SIZE = Object.freeze({ rows: 2, columns: 20 });

/**
 * The display's size from the proxy's status (`display.size` = [rows, columns]).
 * @param {any} status  the proxy's `GET status` answer, or null
 * @returns {DisplaySize}
 */
export function displaySize(status) {
  const size = status?.display?.size;
  const rows = Array.isArray(size) && Number.isInteger(size[0]) && size[0] > 0 ? size[0] : DEFAULT_SIZE.rows;
  const columns = Array.isArray(size) && Number.isInteger(size[1]) && size[1] > 0 ? size[1] : DEFAULT_SIZE.columns;
  return { rows, columns };
}

/**
 * `left` and `right` on one line of `columns`: `right` at the right edge, `left` cut to fit
 * with a space between; when `right` alone fills the line, its end.
 * @param {string} left
 * @param {string} right
 * @param {number} columns
 */
function spread(left, right, columns) {
  const room = columns - right.length - 1;
  if (room < 1) return right.slice(-columns);
  const start = left.length > room ? left.slice(0, room) : left;
  return start + " ".repeat(columns - start.length - right.length) + right;
}

/**
 * The frame for the line just added or changed, with the order's running total:
 *   `Baguette        2.98`
 *   `2 x 1.49  Tot 12.35`
 * @param {{name: string, quantity: number, unit?: string, weighed?: boolean, unitPrice: number, gross: number}} line
 * @param {number} total   the order's total so far (minor units)
 * @param {{places: number, columns?: number, rows?: number}} options
 * @returns {string[]}
 */
export function itemFrame(line, total, { places, columns = DEFAULT_SIZE.columns, rows = DEFAULT_SIZE.rows }) {
  const money = (/** @type {number} */ minor) => formatAmount(minor, places);
  const quantity = `${formatQuantityShort(line.quantity)}${line.weighed && line.unit ? line.unit : ""}`;
  const detail = `${quantity} x ${money(line.unitPrice)}`;
  const sum = `Tot ${money(total)}`;
  const second =
    detail.length + sum.length + 1 <= columns ? spread(detail, sum, columns) : spread("Total", money(total), columns);
  return [spread(line.name, money(line.gross), columns), second].slice(0, rows);
}

/**
 * The frame of the payment screen: the amount to pay with the currency's code (plain ASCII,
 * which every display's code page has).
 *   `TOTAL`
 *   `            3.39 EUR`
 * @param {number} total  minor units
 * @param {{places: number, currency: string, columns?: number, rows?: number}} options
 * @returns {string[]}
 */
export function totalFrame(total, { places, currency, columns = DEFAULT_SIZE.columns, rows = DEFAULT_SIZE.rows }) {
  const amount = formatAmount(total, places);
  const withCode = currency ? `${amount} ${currency}` : amount;
  const right = withCode.length <= columns ? withCode : amount;
  if (rows < 2) return [spread("TOTAL", right, columns)];
  return ["TOTAL", right.length >= columns ? right.slice(-columns) : right.padStart(columns)];
}

/**
 * The frame after *Validate*: what the customer paid and the change to give.
 *   `Paid            5.00`
 *   `Change          1.61`
 * On a one-row display, the change only.
 * @param {{paid: number, change: number}} amounts  minor units
 * @param {{places: number, columns?: number, rows?: number}} options
 * @returns {string[]}
 */
export function changeFrame({ paid, change }, { places, columns = DEFAULT_SIZE.columns, rows = DEFAULT_SIZE.rows }) {
  const changeLine = spread("Change", formatAmount(change, places), columns);
  if (rows < 2) return [changeLine];
  return [spread("Paid", formatAmount(paid, places), columns), changeLine];
}

/**
 * The frame after *Validate* of a ticket that paid money out (a refund, or an exchange the
 * shop pays the difference of): the amount returned to the customer.
 *   `Refund`
 *   `            0.89 EUR`
 * @param {number} returned  minor units, positive: what the customer gets back
 * @param {{places: number, currency?: string, columns?: number, rows?: number}} options
 * @returns {string[]}
 */
export function refundFrame(
  returned,
  { places, currency = "", columns = DEFAULT_SIZE.columns, rows = DEFAULT_SIZE.rows },
) {
  const amount = formatAmount(returned, places);
  const withCode = currency && `${amount} ${currency}`.length <= columns ? `${amount} ${currency}` : amount;
  if (rows < 2) return [spread("Refund", withCode, columns)];
  return ["Refund", withCode.length >= columns ? withCode.slice(-columns) : withCode.padStart(columns)];
}
