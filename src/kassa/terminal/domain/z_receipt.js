// @ts-check
/**
 * The X and Z reports and the cash-move slip as docs/receipt.md's block documents: what
 * the proxy prints and the screen previews. Every figure is the report's own string (the
 * Z as stored), so a reprint prints the same words with a DUPLICATE mark. The fixed words
 * follow the till's language as the receipt's do (domain/receipt.js `inLanguage`): a Z
 * carries it in `parameters.language` (a Z written before it did prints in English), the
 * slip takes the till's. Amounts and dates print as stored, in every language. Pure.
 */

import { inLanguage, receiptLabels } from "./receipt.js";

/** @typedef {import("./receipt_layout.js").Block} Block */
/** @typedef {import("./receipt_layout.js").ReceiptDocument} ReceiptDocument */

/** Every fixed word the X/Z report and the cash-move slip print, in English. */
export const Z_LABELS = Object.freeze({
  zReport: "Z REPORT",
  xReport: "X REPORT",
  notClosing: "Not a closing: nothing is stored",
  terminal: "Terminal",
  businessDay: "Business day",
  opened: "Opened",
  closed: "Closed",
  receipts: "Receipts",
  none: "none",
  journal: "Journal",
  software: "Software",
  sales: "Sales",
  rate: "Rate",
  net: "Net",
  tax: "Tax",
  gross: "Gross",
  total: "Total",
  tickets: "Tickets",
  average: "Average ticket",
  refunds: "Refunds",
  turnover: "Turnover",
  exceptions: "Exceptions",
  lineVoids: "Line voids",
  abandoned: "Abandoned orders",
  discounts: "Discounts",
  lines: "lines",
  overrides: "Overrides",
  noSale: "No-sale openings",
  payments: "Payments",
  method: "Method",
  taken: "Taken",
  expected: "Expected",
  counted: "Counted",
  diff: "Diff.",
  cashDrawer: "Cash drawer",
  openingFloat: "Opening float",
  cashPayments: "Cash payments",
  changeGiven: "Change given",
  cashIn: "Cash in",
  cashOut: "Cash out",
  safeDrops: "Safe drops",
  difference: "Difference",
  closingDrop: "Closing drop",
  nextFloat: "Next float",
  cashMoves: "Cash moves",
  moveIn: "in",
  moveOut: "out",
  moveDrop: "drop",
  closing: "(close)",
  denominations: "Denominations",
  variance: "Variance",
  count: "count",
  counts: "counts",
  aboveLimit: "Above the limit",
  yes: "yes",
  no: "no",
  approvedBy: "Approved by",
  reason: "Reason",
  grandTotals: "Grand totals",
  perpetual: "Perpetual total",
  perpetualAbsolute: "Perpetual absolute",
  month: "Month",
  year: "Year",
  slipIn: "CASH IN",
  slipOut: "CASH OUT",
  slipDrop: "SAFE DROP",
  time: "Time",
  cashier: "Cashier",
  amount: "Amount",
  signature: "Signature:",
});

/** @typedef {{-readonly [K in keyof typeof Z_LABELS]: string}} ZLabels */

/**
 * The X/Z report's and the slip's words in German, as a German till prints them ("MwSt."
 * and "Netto"/"Brutto" as on its receipts).
 * @type {Readonly<ZLabels>}
 */
export const Z_LABELS_DE = Object.freeze({
  zReport: "Z-BERICHT",
  xReport: "X-BERICHT",
  notClosing: "Kein Abschluss: nichts wird gespeichert",
  terminal: "Kasse",
  businessDay: "Geschäftstag",
  opened: "Geöffnet",
  closed: "Geschlossen",
  receipts: "Belege",
  none: "keine",
  journal: "Journal",
  software: "Software",
  sales: "Verkäufe",
  rate: "Satz",
  net: "Netto",
  tax: "MwSt.",
  gross: "Brutto",
  total: "Summe",
  tickets: "Bons",
  average: "Durchschnittsbon",
  refunds: "Erstattungen",
  turnover: "Gesamtumsatz",
  exceptions: "Ausnahmen",
  lineVoids: "Positionsstornos",
  abandoned: "Verworfene Bons",
  discounts: "Rabatte",
  lines: "Pos.",
  overrides: "Freigaben",
  noSale: "Schubladenöffnungen",
  payments: "Zahlungen",
  method: "Zahlart",
  taken: "Eingenommen",
  expected: "Soll",
  counted: "Gezählt",
  diff: "Diff.",
  cashDrawer: "Kassenlade",
  openingFloat: "Anfangsbestand",
  cashPayments: "Barzahlungen",
  changeGiven: "Rückgeld",
  cashIn: "Einlagen",
  cashOut: "Entnahmen",
  safeDrops: "Abschöpfungen",
  difference: "Differenz",
  closingDrop: "Abschöpfung Abschluss",
  nextFloat: "Nächster Anfangsbestand",
  cashMoves: "Bargeldbewegungen",
  moveIn: "Einlage",
  moveOut: "Entnahme",
  moveDrop: "Abschöpfung",
  closing: "(Abschluss)",
  denominations: "Stückelung",
  variance: "Kassendifferenz",
  count: "Zählung",
  counts: "Zählungen",
  aboveLimit: "Über dem Limit",
  yes: "ja",
  no: "nein",
  approvedBy: "Genehmigt von",
  reason: "Grund",
  grandTotals: "Gesamtsummen",
  perpetual: "Laufende Summe",
  perpetualAbsolute: "Laufende Summe absolut",
  month: "Monat",
  year: "Jahr",
  slipIn: "EINLAGE",
  slipOut: "ENTNAHME",
  slipDrop: "ABSCHÖPFUNG",
  time: "Zeit",
  cashier: "Kassierer",
  amount: "Betrag",
  signature: "Unterschrift:",
});

/** @type {Readonly<{en: Readonly<ZLabels>} & Record<string, Readonly<ZLabels>>>} */
const Z_LABELS_BY_LANGUAGE = Object.freeze({ en: Z_LABELS, de: Z_LABELS_DE });

/**
 * The X/Z report's words in `language` (English for one it has no words in), with the
 * receipt's copy mark of that language (DUPLICATE, KOPIE).
 * @param {string | undefined} language
 */
export const zLabels = (language) => ({
  ...inLanguage(Z_LABELS_BY_LANGUAGE, language),
  copy: receiptLabels(language).copy,
});

const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

/** @param {unknown} value */
const clean = (value) =>
  Array.from(
    String(value ?? "")
      .replace(CONTROL, " ")
      .trim(),
  )
    .slice(0, 500)
    .join("");

/** @param {string} text @param {{align?: any, bold?: boolean, size?: any}} [style] @returns {Block} */
const text = (text, style = {}) => ({ type: "text", text: clean(text), ...style });
/** @param {string} left @param {string} right @param {{bold?: boolean}} [style] @returns {Block} */
const pair = (left, right, style = {}) => ({ type: "pair", left: clean(left), right: clean(right), ...style });
/** @param {string[]} cells @returns {Block} */
const columns = (cells) => ({ type: "columns", cells: cells.map(clean) });
/** @param {string} title @returns {Block[]} */
const section = (title) => [{ type: "blank" }, text(title, { bold: true }), { type: "rule" }];

/** "2026-03-14T10:00:00.000+01:00" → "2026-03-14 10:00". @param {string | null | undefined} iso */
function dateTime(iso) {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso ?? "");
  return match ? `${match[1]} ${match[2]}` : String(iso ?? "");
}

/** @param {{id: number, name: string} | null | undefined} person */
const who = (person) => (person ? person.name : "—");

/**
 * The Z (or X) report as a printable document.
 * @param {any} z             domain/z.js computeZ's report, or a stored Z_CLOSE payload
 * @param {object} [options]
 * @param {boolean} [options.copy]   a reprint: the copy mark (DUPLICATE) under the title
 * @param {boolean} [options.blind]  leave out what was expected (an X report in blind mode)
 * @param {string} [options.language] the words' language; the Z's own (`parameters.language`) by default
 * @returns {ReceiptDocument}
 */
export function zDocument(z, { copy = false, blind = false, language = z.parameters?.language } = {}) {
  const word = zLabels(language);
  const isZ = z.z_no !== null && z.z_no !== undefined;
  const currency = z.parameters.currency;
  /** @type {Block[]} */
  const blocks = [];
  if (clean(z.store?.name)) blocks.push(text(z.store.name, { align: "center", bold: true }));
  blocks.push(text(isZ ? `${word.zReport} ${z.z_no}` : word.xReport, { align: "center", bold: true, size: "large" }));
  if (!isZ) blocks.push(text(word.notClosing, { align: "center" }));
  if (copy) blocks.push(text(word.copy, { align: "center", bold: true }));
  blocks.push({ type: "blank" });
  blocks.push(pair(word.terminal, z.terminal));
  blocks.push(pair(word.businessDay, z.business_day));
  blocks.push(pair(word.opened, `${dateTime(z.opened.at)} ${who(z.opened.by)}`));
  if (z.closed) blocks.push(pair(word.closed, `${dateTime(z.closed.at)} ${who(z.closed.by)}`));
  blocks.push(pair(word.receipts, z.receipts.first ? `${z.receipts.first} - ${z.receipts.last}` : word.none));
  blocks.push(pair(word.journal, `${z.seq.first} - ${z.seq.last}`));
  blocks.push(pair(word.software, z.software));

  const head = [word.rate, word.net, word.tax, word.gross];
  blocks.push(...section(`${word.sales} (${currency})`));
  blocks.push(columns(head));
  for (const row of z.sales.tax_rates) blocks.push(columns([`${row.rate}%`, row.net, row.tax, row.gross]));
  blocks.push(columns([word.total, z.sales.net, z.sales.tax, z.sales.gross]));
  blocks.push(pair(word.tickets, String(z.sales.tickets)));
  blocks.push(pair(word.average, z.sales.average));

  blocks.push(...section(word.refunds));
  blocks.push(pair(`${word.refunds} (${z.refunds.count})`, z.refunds.gross));
  for (const row of z.refunds.reasons) blocks.push(pair(`  ${row.reason} (${row.lines})`, row.amount));
  blocks.push(...section(word.turnover));
  blocks.push(columns(head));
  for (const row of z.totals.tax_rates) blocks.push(columns([`${row.rate}%`, row.net, row.tax, row.gross]));
  blocks.push(columns([word.total, z.totals.net, z.totals.tax, z.totals.gross]));

  blocks.push(...section(word.exceptions));
  blocks.push(pair(`${word.lineVoids} (${z.voids.count})`, z.voids.amount));
  blocks.push(pair(`${word.abandoned} (${z.abandoned.count})`, z.abandoned.amount));
  blocks.push(pair(`${word.discounts} (${z.discounts.lines} ${word.lines})`, z.discounts.amount));
  blocks.push(pair(word.overrides, String(z.overrides.count)));
  for (const row of z.overrides.by_approver)
    blocks.push(pair(`  ${row.approver.name}: ${row.action}`, String(row.count)));
  blocks.push(pair(word.noSale, String(z.no_sale.count)));
  for (const row of z.no_sale.reasons) blocks.push(pair(`  ${row.reason}`, String(row.count)));

  blocks.push(...section(word.payments));
  blocks.push(
    columns(blind ? [word.method, word.taken, word.counted] : [word.method, word.expected, word.counted, word.diff]),
  );
  for (const row of z.methods) {
    const counted = row.counted ?? "-";
    blocks.push(
      columns(blind ? [row.method, row.payments, counted] : [row.method, row.expected, counted, row.difference ?? "-"]),
    );
  }
  const cash = z.cash;
  if (cash.method) {
    blocks.push(...section(`${word.cashDrawer} (${cash.method})`));
    blocks.push(pair(word.openingFloat, cash.opening_float));
    blocks.push(pair(word.cashPayments, cash.payments));
    blocks.push(pair(word.changeGiven, cash.change));
    blocks.push(pair(word.cashIn, cash.moves_in));
    blocks.push(pair(word.cashOut, cash.moves_out));
    blocks.push(pair(word.safeDrops, cash.drops));
    if (!blind) blocks.push(pair(word.expected, cash.expected, { bold: true }));
    if (cash.counted !== null) blocks.push(pair(word.counted, cash.counted, { bold: true }));
    if (!blind && cash.difference !== null) blocks.push(pair(word.difference, cash.difference, { bold: true }));
    if (cash.counted !== null) {
      blocks.push(pair(word.closingDrop, cash.closing_drops));
      blocks.push(pair(word.nextFloat, cash.suggested_float ?? "-"));
    }
  }
  if (z.moves.length) {
    const kinds = /** @type {Record<string, string>} */ ({ in: word.moveIn, out: word.moveOut, drop: word.moveDrop });
    blocks.push(...section(word.cashMoves));
    for (const move of z.moves)
      blocks.push(
        pair(
          `${dateTime(move.at).slice(11)} ${kinds[move.kind] ?? move.kind}${move.closing ? ` ${word.closing}` : ""} ${move.reason}`,
          move.amount,
        ),
      );
  }
  const counted = z.methods.filter((/** @type {any} */ row) => row.denominations?.length);
  if (counted.length) {
    blocks.push(...section(word.denominations));
    for (const row of counted)
      for (const d of row.denominations) blocks.push(pair(`${row.method} ${d.value} x ${d.count}`, ""));
  }
  if (z.variance.amount !== null && !blind) {
    blocks.push(...section(word.variance));
    blocks.push(
      pair(
        `${word.variance} (${z.counts.attempts} ${z.counts.attempts === 1 ? word.count : word.counts})`,
        z.variance.amount,
        { bold: true },
      ),
    );
    blocks.push(pair(word.aboveLimit, z.variance.over ? word.yes : word.no));
    if (z.variance.approval) {
      blocks.push(pair(word.approvedBy, who(z.variance.approval.approver)));
      if (z.variance.approval.reason) blocks.push(pair(word.reason, z.variance.approval.reason));
      if (z.variance.approval.note) blocks.push(text(z.variance.approval.note));
    }
  }

  blocks.push(...section(word.grandTotals));
  blocks.push(pair(word.perpetual, z.grand_totals.gt_after ?? "-"));
  blocks.push(pair(word.perpetualAbsolute, z.grand_totals.gt_abs_after ?? "-"));
  for (const period of /** @type {const} */ (["month", "year"])) {
    const totals = z.period_totals?.[period];
    if (!totals) continue;
    blocks.push(pair(`${word[period]} ${totals.key} (${totals.zs} Z)`, totals.gross));
  }
  return { format: "kassa.receipt", version: 1, blocks };
}

/**
 * The slip of a cash move.
 * @param {any} move       the CASH_MOVE payload
 * @param {object} context
 * @param {string} context.terminal
 * @param {string} context.at
 * @param {string} context.cashier
 * @param {string} context.reason   the reason's label
 * @param {string} context.currency
 * @param {string | null} [context.approver]
 * @param {string} [context.language] the till's language (English by default)
 * @returns {ReceiptDocument}
 */
export function cashMoveDocument(move, { terminal, at, cashier, reason, currency, approver = null, language }) {
  const word = zLabels(language);
  const title = { in: word.slipIn, out: word.slipOut, drop: word.slipDrop }[
    /** @type {"in" | "out" | "drop"} */ (move.kind)
  ];
  /** @type {Block[]} */
  const blocks = [
    text(title, { align: "center", bold: true, size: "large" }),
    { type: "blank" },
    pair(word.terminal, terminal),
    pair(word.time, dateTime(at)),
    pair(word.cashier, cashier),
    pair(word.reason, reason),
  ];
  if (approver) blocks.push(pair(word.approvedBy, approver));
  if (clean(move.note)) blocks.push(text(move.note));
  blocks.push({ type: "rule" }, pair(word.amount, `${move.amount} ${currency}`, { bold: true }));
  blocks.push({ type: "blank" }, text(word.signature), { type: "blank" }, { type: "rule" });
  return { format: "kassa.receipt", version: 1, blocks };
}
