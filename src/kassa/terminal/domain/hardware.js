// @ts-check
/**
 * What the terminal sends to the hardware proxy, as pure functions: the receipt document
 * the proxy prints (src/kassa/proxy/receipts.py `Receipt`, amounts as decimal strings),
 * whether a sale opens the drawer, and the cashier's words for the proxy's printer faults.
 * The customer display's frames are domain/display.js's. No DOM, no I/O.
 */
import { formatAmount, formatDiscount, formatQuantity, formatRate } from "./money.js";

/** The proxy's limits (receipts.py), so a long name is cut here, not refused there. */
const LIMIT = { line: 200, unit: 10, cashier: 60, method: 60, number: 60, headerLines: 20 };

/** @param {string} text @param {number} max */
const cut = (text, max) => (text.length > max ? text.slice(0, max) : text);

/** @param {string} text */
const lines = (text) =>
  String(text ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => cut(line, LIMIT.line));

/**
 * The proxy's receipt document from the terminal's (domain/receipt.js) receipt.
 * @param {import("./receipt.js").Receipt} receipt
 * @returns {Record<string, unknown>}
 */
export function printDocument(receipt) {
  const places = receipt.places;
  const money = (/** @type {number} */ minor) => formatAmount(minor, places);
  const header = [receipt.store.name, ...lines(receipt.store.address), receipt.store.taxId ? `VAT ${receipt.store.taxId}` : "", ...lines(receipt.store.header)]
    .filter(Boolean)
    .slice(0, LIMIT.headerLines);
  const footer = [...lines(receipt.note), ...lines(receipt.store.footer)].slice(0, LIMIT.headerLines);
  const number = cut(receipt.receiptNumber, LIMIT.number);
  /** @type {Record<string, unknown>} */
  const document = {
    currency: receipt.currency,
    header,
    number,
    date: receipt.createdAt,
    cashier: cut(receipt.cashier ?? "", LIMIT.cashier),
    lines: receipt.lines.map((line) => ({
      name: cut(line.name, LIMIT.line) || "?",
      quantity: formatQuantity(line.quantity),
      unit: line.weighed ? cut(line.unit ?? "", LIMIT.unit) : "",
      unit_price: money(line.unitPrice),
      discount: formatDiscount(line.discount),
      total: money(line.gross),
    })),
    taxes: receipt.taxes.map((group) => ({ rate: formatRate(group.rate), net: money(group.net), tax: money(group.tax), gross: money(group.gross) })),
    total: money(receipt.totals.gross),
    payments: receipt.payments.map((payment) => ({ method: cut(payment.name, LIMIT.method) || "?", amount: money(payment.amount) })),
    change: money(receipt.change),
    footer,
  };
  // The receipt number as a Code 128 barcode (returns find the sale by it); a QR code when
  // the number is not plain ASCII or too long for a barcode.
  document.reference = number;
  document.reference_format = /^[\x20-\x7e]{1,40}$/.test(number) ? "code128" : "qr";
  return document;
}

/**
 * Does this sale open the drawer? `drawer_policy` of the terminal: "cash" (when a cash
 * payment is in it), "always" or "never".
 * @param {import("./receipt.js").Receipt} receipt
 * @param {string | undefined} policy
 */
export function opensDrawer(receipt, policy) {
  if (policy === "never") return false;
  if (policy === "always") return true;
  return receipt.payments.some((payment) => payment.isCash);
}

/** The proxy's printer faults (docs/proxy.md) in the cashier's words. */
export const FAULT_TEXT = Object.freeze({
  paper_out: "paper out",
  cover_open: "printer cover open",
  offline: "printer offline",
  no_answer: "printer not answering",
  error: "printer error",
  write_interrupted: "printing was interrupted",
  interrupted: "printing was interrupted",
  unreachable: "the hardware proxy is not reachable",
  not_paired: "the terminal is not paired with its hardware proxy",
  not_configured: "no printer is set up",
});

/** @param {string | null | undefined} fault */
export function faultText(fault) {
  return (fault && /** @type {Record<string, string>} */ (FAULT_TEXT)[fault]) || fault || "unknown problem";
}

/**
 * The printer's state in one word for the status bar, from the proxy's status.printer.
 * @param {any} printer
 * @returns {{level: "good" | "warn" | "bad" | "unknown", text: string}}
 */
export function printerSummary(printer) {
  if (!printer || printer.configured === false) return { level: "unknown", text: "No printer" };
  if (printer.fault) return { level: "bad", text: `Printer: ${faultText(printer.fault)}` };
  if (printer.paper === "near_end") return { level: "warn", text: "Paper low" };
  if (printer.state === "online") return { level: "good", text: "Printer ready" };
  return { level: "unknown", text: "Printer unknown" };
}
