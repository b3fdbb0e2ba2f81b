// @ts-check
/**
 * What a numpad key does to the text typed on it (the sale screen's Qty / Disc % / Price
 * pad, the payment amount, the opening float, the counted cash, a weight). Pure: the text
 * is read as a number only when it is applied (domain/money.js `parseTyped`, `typedAmount`).
 */

/** The longest text a pad takes: more digits than any amount or quantity the till accepts. */
export const MAX_DIGITS = 12;

/**
 * @param {string} buffer
 * @param {string} key  "0".."9", ".", "⌫", "C", "±" (anything else leaves the text alone)
 * @returns {string}
 */
export function editBuffer(buffer, key) {
  if (key === "⌫") return buffer.slice(0, -1);
  if (key === "C") return "";
  if (key === "±") return buffer.startsWith("-") ? buffer.slice(1) : `-${buffer}`;
  if (key === ".") return buffer.includes(".") ? buffer : `${buffer.replace(/^(-?)$/, "$10")}.`;
  if (/^\d$/.test(key)) return buffer.length >= MAX_DIGITS ? buffer : buffer + key;
  return buffer;
}

/**
 * editBuffer for a pad without a sign (cash counted or paid, a weight): "±" does nothing.
 * @param {string} buffer
 * @param {string} key
 * @returns {string}
 */
export function editUnsigned(buffer, key) {
  return editBuffer(buffer, key).replace(/^-/, "");
}
