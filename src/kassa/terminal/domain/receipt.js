// @ts-check
/**
 * The receipt, twice: `buildReceipt` keeps the sale's figures (integers in minor units,
 * quantities in thousandths), and `receiptDocument` turns them into the version-1 block
 * document of docs/receipt.md, where every word, date and amount is already written. The
 * printer (through the hardware proxy) and the screen preview lay out that one document
 * with domain/receipt_layout.js and add no word of their own. Pure.
 */
import { cashPaid, change, orderKind, paid, pricedLines, taxes, totals } from "./cart.js";
import { formatAmount, formatDiscount, formatQuantity, formatQuantityShort, formatRate } from "./money.js";

/**
 * @typedef {object} ReceiptLine
 * @property {string} name
 * @property {number} quantity      thousandths
 * @property {string} unit
 * @property {boolean} weighed
 * @property {number} unitPrice
 * @property {number} discount      hundredths of a percent
 * @property {number} gross
 *
 * @typedef {object} Receipt
 * @property {string} uuid
 * @property {string} receiptNumber
 * @property {string} createdAt
 * @property {string} currency
 * @property {number} places
 * @property {{name: string, address: string, taxId: string, header: string, footer: string}} store
 * @property {string} terminal
 * @property {string} cashier
 * @property {ReceiptLine[]} lines
 * @property {{net: number, tax: number, gross: number}} totals
 * @property {{rate: number, priceIncludesTax: boolean, net: number, tax: number, gross: number}[]} taxes
 * @property {{name: string, isCash: boolean, amount: number}[]} payments
 * @property {number} paid
 * @property {number} cashPaid
 * @property {number} change
 * @property {string} note
 * @property {ReceiptJournal} [journal] the journal entry of the sale (docs/journal.md), printed when present
 * @property {"sale" | "refund" | "exchange"} [kind]  a refund or exchange is titled so
 * @property {{receiptNumber: string, at: string} | null} [original]  what a refund returns goods of
 * @property {string} [language] the till's language ("en", "de"): the receipt's fixed words
 *
 * @typedef {object} ReceiptJournal
 * @property {number} seq       the entry's sequence number
 * @property {string} hash      the entry's SHA-256, hex; the receipt shows its first 8 digits
 * @property {string} software  the terminal's name and version, e.g. "Kassa 0.1.0"
 */

/**
 * @param {import("./cart.js").Order} order   the finished (stamped) order
 * @param {object} context
 * @param {any} context.config               the terminal configuration (TerminalOut)
 * @param {string} context.cashier           the cashier's name
 * @param {readonly {id: number, name?: string}[]} context.methods payment methods
 * @returns {Receipt}
 */
export function buildReceipt(order, { config, cashier, methods }) {
  const names = new Map(methods.map((method) => [method.id, method.name ?? `#${method.id}`]));
  return {
    uuid: order.uuid,
    receiptNumber: order.receiptNumber,
    createdAt: order.createdAt,
    currency: config.currency,
    places: order.places,
    store: {
      name: config.store_name ?? "",
      address: config.store_address ?? "",
      taxId: config.store_tax_id ?? "",
      header: config.receipt_header ?? "",
      footer: config.receipt_footer ?? "",
    },
    terminal: config.name ?? config.code ?? "",
    cashier,
    lines: pricedLines(order).map((line) => ({
      name: line.name,
      quantity: line.quantity,
      unit: line.unit,
      weighed: line.weighed,
      unitPrice: line.unitPrice,
      discount: line.discount,
      gross: line.gross,
    })),
    totals: totals(order),
    taxes: taxes(order),
    payments: order.payments.map((payment) => ({
      name: names.get(payment.methodId) ?? `#${payment.methodId}`,
      isCash: payment.isCash,
      amount: payment.amount,
    })),
    paid: paid(order),
    cashPaid: cashPaid(order),
    change: change(order),
    note: order.note,
    kind: orderKind(order),
    original: order.original ? { receiptNumber: order.original.receiptNumber, at: order.original.at } : null,
    language: config.language ?? "en",
  };
}

/**
 * Every word the receipt prints, in English; one word per concept ("Tax" for the tax id,
 * the tax column and nowhere "VAT"). A till in another language passes its own `labels`.
 */
export const RECEIPT_LABELS = Object.freeze({
  copy: "DUPLICATE",
  receipt: "Receipt",
  cashier: "Cashier",
  taxId: "Tax ID",
  total: "TOTAL",
  change: "Change",
  rate: "Rate",
  net: "Net",
  tax: "Tax",
  gross: "Gross",
  taxExcluded: "excl.",
  journal: "Journal",
  refund: "REFUND",
  exchange: "EXCHANGE",
  refundOf: "refund of no.",
  of: "of",
  withoutReceipt: "return without receipt",
});

/** @typedef {{-readonly [K in keyof typeof RECEIPT_LABELS]: string}} ReceiptLabels */

/**
 * The receipt's words in German, as a German till prints them ("MwSt." for the tax, as
 * the till's screens say it; "USt-IdNr." for the store's tax id).
 * @type {Readonly<ReceiptLabels>}
 */
export const RECEIPT_LABELS_DE = Object.freeze({
  copy: "KOPIE",
  receipt: "Beleg",
  cashier: "Kassierer",
  taxId: "USt-IdNr.",
  total: "SUMME",
  change: "Rückgeld",
  rate: "Satz",
  net: "Netto",
  tax: "MwSt.",
  gross: "Brutto",
  taxExcluded: "zzgl.",
  journal: "Journal",
  refund: "ERSTATTUNG",
  exchange: "UMTAUSCH",
  refundOf: "Erstattung zu Beleg",
  of: "vom",
  withoutReceipt: "Rückgabe ohne Beleg",
});

/**
 * The words of a printed document in the till's `language` (its configuration's): `tables`
 * holds one table per language, and a language without one prints in English (`en`). The
 * receipt and the X/Z reports (domain/z_receipt.js) pick their words so.
 * @template T
 * @param {Readonly<Record<string, T>> & {en: T}} tables
 * @param {string | undefined} language
 * @returns {T}
 */
export const inLanguage = (tables, language) => tables[String(language ?? "en")] ?? tables.en;

/** @type {Readonly<{en: Readonly<ReceiptLabels>} & Record<string, Readonly<ReceiptLabels>>>} */
const LABELS_BY_LANGUAGE = Object.freeze({ en: RECEIPT_LABELS, de: RECEIPT_LABELS_DE });

/**
 * The receipt's words in the till's `language` (its configuration's), English for a
 * language the receipt has no words in.
 * @param {string | undefined} language
 * @returns {Readonly<ReceiptLabels>}
 */
export const receiptLabels = (language) => inLanguage(LABELS_BY_LANGUAGE, language);

/** The total is the one amount printed with its currency; other codes print as the code. */
const CURRENCY_SYMBOLS = Object.freeze(
  /** @type {Record<string, string>} */ ({ EUR: "€", GBP: "£", USD: "$", JPY: "¥" }),
);

/** docs/receipt.md's limits, so the proxy never refuses what the terminal built. */
const MAX_TEXT = 500; // code points in any string
const MAX_FIELD_LINES = 20; // lines kept of a multi-line store header, address, footer or note
const MAX_QR = 300;

const LINE_BREAK = /\r\n|[\n\v\f\r\u2028\u2029]/;
const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

/**
 * One line of the document: control characters (a tab, an ESC hidden in a product name)
 * become spaces, the ends are trimmed, and it is cut to 500 code points.
 * @param {unknown} value
 * @returns {string}
 */
function clean(value) {
  const text = String(value ?? "")
    .replace(CONTROL, " ")
    .trim();
  return text.length <= MAX_TEXT ? text : Array.from(text).slice(0, MAX_TEXT).join("");
}

/**
 * A multi-line setting or note as its non-empty lines, each a line of the document.
 * @param {string} text
 * @returns {string[]}
 */
function textLines(text) {
  return String(text ?? "")
    .split(LINE_BREAK)
    .map(clean)
    .filter(Boolean)
    .slice(0, MAX_FIELD_LINES);
}

/** @typedef {import("./receipt_layout.js").Block} Block */

/**
 * @param {string} text
 * @param {{align?: import("./receipt_layout.js").Align, bold?: boolean, size?: import("./receipt_layout.js").Size}} [style]
 * @returns {Block}
 */
const textBlock = (text, style = {}) => ({ type: "text", text: clean(text), ...style });

/**
 * @param {string} left
 * @param {string} right
 * @param {{bold?: boolean, size?: import("./receipt_layout.js").Size}} [style]
 * @returns {Block}
 */
const pairBlock = (left, right, style = {}) => ({ type: "pair", left: clean(left), right: clean(right), ...style });

/** @param {string[]} cells @returns {Block} */
const columnsBlock = (cells) => ({ type: "columns", cells: cells.map(clean) });

/** "2026-03-14T10:00:00.000+01:00" → "2026-03-14 10:00": the till's wall clock as stamped. */
function dateTime(/** @type {string} */ iso) {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso ?? "");
  return match ? `${match[1]} ${match[2]}` : String(iso ?? "");
}

/**
 * The receipt number as a code to scan for a return: Code 128 when it is printable ASCII of
 * at most 40 characters, else a QR code.
 * @param {string} number already cleaned
 * @returns {Block | null}
 */
function referenceCode(number) {
  if (!number) return null;
  if (/^[\x20-\x7e]{1,40}$/.test(number)) return { type: "code", format: "code128", value: number };
  return { type: "code", format: "qr", value: Array.from(number).slice(0, MAX_QR).join("") };
}

/**
 * "Journal 42 · a1b2c3d4 · Kassa 0.1.0": the sale's journal entry, its hash's first 8 hex
 * digits and the software that wrote it, so a receipt can be found in the journal.
 * @param {ReceiptJournal | undefined} journal
 * @param {string} label
 * @returns {string}
 */
function journalRow(journal, label) {
  if (!journal) return "";
  const hash = Array.from(clean(journal.hash)).slice(0, 8).join("");
  return [`${label} ${clean(journal.seq)}`, hash, clean(journal.software)].filter(Boolean).join(" · ");
}

/**
 * The receipt as docs/receipt.md's version-1 block document: everything the printer prints
 * and the preview shows, amounts written with the receipt's `places`.
 * @param {Receipt} receipt from buildReceipt
 * @param {object} [options]
 * @param {boolean} [options.copy]      a reprint: the copy mark (DUPLICATE) under the store's header
 * @param {Partial<ReceiptLabels>} [options.labels] words replacing those of the receipt's language
 * @returns {import("./receipt_layout.js").ReceiptDocument}
 */
export function receiptDocument(receipt, { copy = false, labels = {} } = {}) {
  const word = { ...receiptLabels(receipt.language), ...labels };
  const money = (/** @type {number} */ minor) => formatAmount(minor, receipt.places);
  const number = clean(receipt.receiptNumber);
  const center = /** @type {const} */ ({ align: "center" });
  /** @type {Block[]} */
  const blocks = [];

  if (clean(receipt.store.name))
    blocks.push(textBlock(receipt.store.name, { align: "center", bold: true, size: "large" }));
  for (const line of textLines(receipt.store.address)) blocks.push(textBlock(line, center));
  if (clean(receipt.store.taxId)) blocks.push(textBlock(`${word.taxId} ${clean(receipt.store.taxId)}`, center));
  for (const line of textLines(receipt.store.header)) blocks.push(textBlock(line, center));
  if (copy) blocks.push(textBlock(word.copy, { align: "center", bold: true }));
  if (receipt.kind === "refund" || receipt.kind === "exchange") {
    // docs/receipt.md: a ticket with returned lines says so, and what it returns goods of.
    blocks.push({ type: "blank" });
    blocks.push(
      textBlock(receipt.kind === "refund" ? word.refund : word.exchange, {
        align: "center",
        bold: true,
        size: "large",
      }),
    );
    const original = receipt.original;
    blocks.push(
      textBlock(
        original
          ? `${word.refundOf} ${clean(original.receiptNumber)} ${word.of} ${dateTime(original.at)}`
          : word.withoutReceipt,
        center,
      ),
    );
  }
  blocks.push({ type: "blank" });

  blocks.push(textBlock(`${word.receipt} ${number}`));
  const terminal = clean(receipt.terminal);
  blocks.push(terminal ? pairBlock(dateTime(receipt.createdAt), terminal) : textBlock(dateTime(receipt.createdAt)));
  if (clean(receipt.cashier)) blocks.push(textBlock(`${word.cashier}: ${clean(receipt.cashier)}`));
  blocks.push({ type: "rule" });

  for (const line of receipt.lines) {
    const quantity = line.weighed ? formatQuantity(line.quantity) : formatQuantityShort(line.quantity);
    const unit = line.unit && line.unit !== "pc" ? ` ${line.unit}` : "";
    const discount = line.discount ? ` -${formatDiscount(line.discount)}%` : "";
    blocks.push(textBlock(clean(line.name) || "?"));
    blocks.push(pairBlock(`${quantity}${unit} × ${money(line.unitPrice)}${discount}`, money(line.gross)));
  }
  blocks.push({ type: "rule" });

  const symbol = CURRENCY_SYMBOLS[receipt.currency] ?? receipt.currency;
  blocks.push(pairBlock(word.total, `${money(receipt.totals.gross)} ${symbol}`, { bold: true, size: "large" }));
  for (const payment of receipt.payments) blocks.push(pairBlock(clean(payment.name) || "?", money(payment.amount)));
  if (receipt.change) blocks.push(pairBlock(word.change, money(receipt.change)));

  if (receipt.taxes.length) {
    blocks.push({ type: "blank" });
    blocks.push(columnsBlock([word.rate, word.net, word.tax, word.gross]));
    for (const group of receipt.taxes) {
      const rate = `${formatRate(group.rate)}%${group.priceIncludesTax ? "" : ` ${word.taxExcluded}`}`;
      blocks.push(columnsBlock([rate, money(group.net), money(group.tax), money(group.gross)]));
    }
  }

  const closing = [...textLines(receipt.note), ...textLines(receipt.store.footer)];
  if (closing.length) {
    blocks.push({ type: "blank" });
    for (const line of closing) blocks.push(textBlock(line, center));
  }

  const journal = journalRow(receipt.journal, word.journal);
  if (journal) blocks.push({ type: "blank" }, textBlock(journal, center));

  const code = referenceCode(number);
  if (code) blocks.push({ type: "blank" }, code);
  return { format: "kassa.receipt", version: 1, blocks };
}
