// @ts-check
/**
 * The X and Z reports and the cash-move slip as docs/receipt.md's block documents: what
 * the proxy prints and the screen previews. Every figure is the report's own string (the
 * Z as stored), so a reprint prints the same words with a DUPLICATE mark. Pure.
 */

/** @typedef {import("./receipt_layout.js").Block} Block */
/** @typedef {import("./receipt_layout.js").ReceiptDocument} ReceiptDocument */

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
 * @param {boolean} [options.copy]   a reprint: DUPLICATE under the title
 * @param {boolean} [options.blind]  leave out what was expected (an X report in blind mode)
 * @returns {ReceiptDocument}
 */
export function zDocument(z, { copy = false, blind = false } = {}) {
  const isZ = z.z_no !== null && z.z_no !== undefined;
  const currency = z.parameters.currency;
  /** @type {Block[]} */
  const blocks = [];
  if (clean(z.store?.name)) blocks.push(text(z.store.name, { align: "center", bold: true }));
  blocks.push(text(isZ ? `Z REPORT ${z.z_no}` : "X REPORT", { align: "center", bold: true, size: "large" }));
  if (!isZ) blocks.push(text("Not a closing: nothing is stored", { align: "center" }));
  if (copy) blocks.push(text("DUPLICATE", { align: "center", bold: true }));
  blocks.push({ type: "blank" });
  blocks.push(pair("Terminal", z.terminal));
  blocks.push(pair("Business day", z.business_day));
  blocks.push(pair("Opened", `${dateTime(z.opened.at)} ${who(z.opened.by)}`));
  if (z.closed) blocks.push(pair("Closed", `${dateTime(z.closed.at)} ${who(z.closed.by)}`));
  blocks.push(pair("Receipts", z.receipts.first ? `${z.receipts.first} - ${z.receipts.last}` : "none"));
  blocks.push(pair("Journal", `${z.seq.first} - ${z.seq.last}`));
  blocks.push(pair("Software", z.software));

  blocks.push(...section(`Sales (${currency})`));
  blocks.push(columns(["Rate", "Net", "Tax", "Gross"]));
  for (const row of z.sales.tax_rates) blocks.push(columns([`${row.rate}%`, row.net, row.tax, row.gross]));
  blocks.push(columns(["Total", z.sales.net, z.sales.tax, z.sales.gross]));
  blocks.push(pair("Tickets", String(z.sales.tickets)));
  blocks.push(pair("Average ticket", z.sales.average));

  blocks.push(...section("Refunds"));
  blocks.push(pair(`Refunds (${z.refunds.count})`, z.refunds.gross));
  for (const row of z.refunds.reasons) blocks.push(pair(`  ${row.reason} (${row.lines})`, row.amount));
  blocks.push(...section("Turnover"));
  blocks.push(columns(["Rate", "Net", "Tax", "Gross"]));
  for (const row of z.totals.tax_rates) blocks.push(columns([`${row.rate}%`, row.net, row.tax, row.gross]));
  blocks.push(columns(["Total", z.totals.net, z.totals.tax, z.totals.gross]));

  blocks.push(...section("Exceptions"));
  blocks.push(pair(`Line voids (${z.voids.count})`, z.voids.amount));
  blocks.push(pair(`Abandoned orders (${z.abandoned.count})`, z.abandoned.amount));
  blocks.push(pair(`Discounts (${z.discounts.lines} lines)`, z.discounts.amount));
  blocks.push(pair("Overrides", String(z.overrides.count)));
  for (const row of z.overrides.by_approver)
    blocks.push(pair(`  ${row.approver.name}: ${row.action}`, String(row.count)));
  blocks.push(pair("No-sale openings", String(z.no_sale.count)));
  for (const row of z.no_sale.reasons) blocks.push(pair(`  ${row.reason}`, String(row.count)));

  blocks.push(...section("Payments"));
  blocks.push(columns(blind ? ["Method", "Taken", "Counted"] : ["Method", "Expected", "Counted", "Diff."]));
  for (const row of z.methods) {
    const counted = row.counted ?? "-";
    blocks.push(
      columns(blind ? [row.method, row.payments, counted] : [row.method, row.expected, counted, row.difference ?? "-"]),
    );
  }
  const cash = z.cash;
  if (cash.method) {
    blocks.push(...section(`Cash drawer (${cash.method})`));
    blocks.push(pair("Opening float", cash.opening_float));
    blocks.push(pair("Cash payments", cash.payments));
    blocks.push(pair("Change given", cash.change));
    blocks.push(pair("Cash in", cash.moves_in));
    blocks.push(pair("Cash out", cash.moves_out));
    blocks.push(pair("Safe drops", cash.drops));
    if (!blind) blocks.push(pair("Expected", cash.expected, { bold: true }));
    if (cash.counted !== null) blocks.push(pair("Counted", cash.counted, { bold: true }));
    if (!blind && cash.difference !== null) blocks.push(pair("Difference", cash.difference, { bold: true }));
    if (cash.counted !== null) {
      blocks.push(pair("Closing drop", cash.closing_drops));
      blocks.push(pair("Next float", cash.suggested_float ?? "-"));
    }
  }
  if (z.moves.length) {
    blocks.push(...section("Cash moves"));
    for (const move of z.moves)
      blocks.push(
        pair(
          `${dateTime(move.at).slice(11)} ${move.kind}${move.closing ? " (close)" : ""} ${move.reason}`,
          move.amount,
        ),
      );
  }
  const counted = z.methods.filter((/** @type {any} */ row) => row.denominations?.length);
  if (counted.length) {
    blocks.push(...section("Denominations"));
    for (const row of counted)
      for (const d of row.denominations) blocks.push(pair(`${row.method} ${d.value} x ${d.count}`, ""));
  }
  if (z.variance.amount !== null && !blind) {
    blocks.push(...section("Variance"));
    blocks.push(
      pair(`Variance (${z.counts.attempts} count${z.counts.attempts === 1 ? "" : "s"})`, z.variance.amount, {
        bold: true,
      }),
    );
    blocks.push(pair("Above the limit", z.variance.over ? "yes" : "no"));
    if (z.variance.approval) {
      blocks.push(pair("Approved by", who(z.variance.approval.approver)));
      if (z.variance.approval.reason) blocks.push(pair("Reason", z.variance.approval.reason));
      if (z.variance.approval.note) blocks.push(text(z.variance.approval.note));
    }
  }

  blocks.push(...section("Grand totals"));
  blocks.push(pair("Perpetual total", z.grand_totals.gt_after ?? "-"));
  blocks.push(pair("Perpetual absolute", z.grand_totals.gt_abs_after ?? "-"));
  for (const period of /** @type {const} */ (["month", "year"])) {
    const totals = z.period_totals?.[period];
    if (!totals) continue;
    blocks.push(pair(`${period === "month" ? "Month" : "Year"} ${totals.key} (${totals.zs} Z)`, totals.gross));
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
 * @returns {ReceiptDocument}
 */
export function cashMoveDocument(move, { terminal, at, cashier, reason, currency, approver = null }) {
  const title = { in: "CASH IN", out: "CASH OUT", drop: "SAFE DROP" }[/** @type {"in" | "out" | "drop"} */ (move.kind)];
  /** @type {Block[]} */
  const blocks = [
    text(title, { align: "center", bold: true, size: "large" }),
    { type: "blank" },
    pair("Terminal", terminal),
    pair("Time", dateTime(at)),
    pair("Cashier", cashier),
    pair("Reason", reason),
  ];
  if (approver) blocks.push(pair("Approved by", approver));
  if (clean(move.note)) blocks.push(text(move.note));
  blocks.push({ type: "rule" }, pair("Amount", `${move.amount} ${currency}`, { bold: true }));
  blocks.push({ type: "blank" }, text("Signature:"), { type: "blank" }, { type: "rule" });
  return { format: "kassa.receipt", version: 1, blocks };
}
