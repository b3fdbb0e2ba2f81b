// @ts-check
/**
 * Refunds, returns and exchanges (docs/refunds.md): pure.
 *
 * A refund of q of an original line sold in quantity Q takes that line's own figures, never
 * today's catalog: gross and tax are the original's × q/Q, each rounded with the one money
 * rule (money.js roundDiv, half away from zero), net = gross − tax; the refund that brings
 * the refunded quantity to Q takes exactly what is left. The server's
 * `orders/refund_rule.py` applies the same rule; both are held to
 * `tests/shared/refund_cases.json`.
 *
 * The original comes from the till's local index of recent orders (data/db.js
 * `recentOrders`) or from the server (`GET /api/v1/orders/lookup`), as a RecentOrder: its
 * lines with their figures in minor units, and its refunds (the store's and this till's
 * own, synced or not), so the refundable quantity counts every refund the till knows of.
 */
import { orderKind, pricedLines, totals } from "./cart.js";
import { formatQuantityShort, parseAmount, parseDiscount, parseQuantity, parseRate, roundDiv } from "./money.js";

/**
 * @typedef {object} RecentLine     a line of a recent order, figures in the till's units
 * @property {number} position      its place in the order (0-based): the line's id for refunds
 * @property {number} productId
 * @property {string} name
 * @property {string} unit
 * @property {number} quantity      thousandths; negative on a returned line
 * @property {number} unitPrice     minor units
 * @property {number} discount      hundredths of a percent
 * @property {number} taxId
 * @property {number} rate          ten-thousandths of a percent
 * @property {boolean} priceIncludesTax
 * @property {number} net
 * @property {number} tax
 * @property {number} gross
 * @property {number | null} originalLine  on a returned line: the original line's position
 * @property {string} reason
 *
 * @typedef {object} RecentOrder    an order of the local index (data/db.js recentOrders)
 * @property {string} uuid
 * @property {string} receiptNumber
 * @property {string} createdAt     ISO 8601 with offset
 * @property {"sale" | "refund" | "exchange"} kind
 * @property {string | null} original  the original's uuid (refunds, exchanges with returns)
 * @property {number} gross         the order's total, minor units
 * @property {RecentLine[]} lines
 * @property {{methodId: number, amount: number}[]} payments
 * @property {boolean} [local]      written by this till (its own, synced or not)
 *
 * @typedef {{quantity: number, net: number, tax: number, gross: number}} Figures  positive
 */

/** @type {Figures} */
export const NOTHING = Object.freeze({ quantity: 0, net: 0, tax: 0, gross: 0 });

/** A refund the rule cannot make: more than is left, a line that is itself a return, … */
export class RefundError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "RefundError";
    this.code = code;
  }
}

/**
 * What refunding `quantity` more of a line takes (positive figures), given the line as sold
 * and what was refunded of it before.
 * @param {{original: Figures, refunded: Figures, quantity: number}} input
 * @returns {Figures}
 */
export function refundAmounts({ original, refunded, quantity }) {
  if (!Number.isSafeInteger(quantity) || quantity <= 0)
    throw new RefundError("quantity", `a refunded quantity is positive, not ${quantity}`);
  if (original.quantity <= 0) throw new RefundError("not_refundable", "only a line sold can be refunded");
  const left = original.quantity - refunded.quantity;
  if (quantity > left) throw new RefundError("over_refund", `${quantity} is more than the ${left} left to refund`);
  if (quantity === left) {
    return {
      quantity,
      net: original.net - refunded.net,
      tax: original.tax - refunded.tax,
      gross: original.gross - refunded.gross,
    };
  }
  const q = BigInt(quantity);
  const whole = BigInt(original.quantity);
  const gross = Number(roundDiv(BigInt(original.gross) * q, whole));
  const tax = Number(roundDiv(BigInt(original.tax) * q, whole));
  return { quantity, net: gross - tax, tax, gross };
}

/**
 * What the known refunds took of each line of an original: by line position, positive.
 * Refunds are counted once each (by uuid), whether this till wrote them or the server sent them.
 * @param {string} originalUuid
 * @param {Iterable<RecentOrder>} refunds  orders naming it as their original
 * @returns {Map<number, Figures>}
 */
export function refundedByLine(originalUuid, refunds) {
  /** @type {Map<number, Figures>} */
  const sums = new Map();
  const seen = new Set();
  for (const refund of refunds) {
    if (refund.original !== originalUuid || seen.has(refund.uuid)) continue;
    seen.add(refund.uuid);
    for (const line of refund.lines) {
      if (line.originalLine === null || line.originalLine === undefined || line.quantity >= 0) continue;
      const sum = sums.get(line.originalLine) ?? NOTHING;
      sums.set(line.originalLine, {
        quantity: sum.quantity - line.quantity,
        net: sum.net - line.net,
        tax: sum.tax - line.tax,
        gross: sum.gross - line.gross,
      });
    }
  }
  return sums;
}

/**
 * @typedef {object} RefundableLine
 * @property {RecentLine} line
 * @property {number} sold        thousandths
 * @property {number} refunded    thousandths, by every refund known
 * @property {number} left        what can still be refunded
 */

/**
 * The lines of an original with what is left to refund of each. A refund or a line that is
 * itself a return cannot be refunded: `refundableLines` throws `refund_of_refund` for a
 * refund (the till says so and stops), and leaves out an exchange's returned lines.
 * @param {RecentOrder} original
 * @param {Iterable<RecentOrder>} refunds
 * @returns {RefundableLine[]}
 */
export function refundableLines(original, refunds) {
  if (original.kind === "refund") {
    throw new RefundError(
      "refund_of_refund",
      `Receipt ${original.receiptNumber} is a refund: a refund cannot be refunded. Refund the original sale instead.`,
    );
  }
  const refunded = refundedByLine(original.uuid, refunds);
  return original.lines
    .filter((line) => line.quantity > 0)
    .map((line) => {
      const done = refunded.get(line.position)?.quantity ?? 0;
      return { line, sold: line.quantity, refunded: done, left: Math.max(0, line.quantity - done) };
    });
}

/**
 * The refund lines of a pick: for each original line picked, q of it at the original's
 * own figures (negated), with the reason. Throws `over_refund` when a pick is more than is
 * left: the till refuses it before anything is paid.
 * @param {RecentOrder} original
 * @param {Iterable<RecentOrder>} refunds
 * @param {{position: number, quantity: number, reason: string}[]} picks
 * @returns {{position: number, quantity: number, reason: string, line: RecentLine, amounts: Figures}[]}
 */
export function refundPicks(original, refunds, picks) {
  const known = [...refunds];
  const lines = new Map(refundableLines(original, known).map((entry) => [entry.line.position, entry]));
  const refunded = refundedByLine(original.uuid, known);
  return picks.map((pick) => {
    const entry = lines.get(pick.position);
    if (!entry)
      throw new RefundError("no_line", `line ${pick.position + 1} of ${original.receiptNumber} cannot be refunded`);
    if (pick.quantity > entry.left) {
      throw new RefundError(
        "over_refund",
        `${entry.line.name}: at most ${formatQuantityShort(entry.left)} can still be refunded (${formatQuantityShort(entry.refunded)} of ${formatQuantityShort(entry.sold)} already were).`,
      );
    }
    const line = entry.line;
    const amounts = refundAmounts({
      original: { quantity: line.quantity, net: line.net, tax: line.tax, gross: line.gross },
      refunded: refunded.get(line.position) ?? NOTHING,
      quantity: pick.quantity,
    });
    return { ...pick, line, amounts };
  });
}

/**
 * The tender a refund defaults to: the original's main payment method when refunds may go
 * to it, else the first allowed (cash first).
 * @param {RecentOrder | null} original
 * @param {{id: number, is_cash: boolean}[]} allowed  the terminal's refund tenders
 * @returns {number | null} method id
 */
export function defaultTender(original, allowed) {
  if (!allowed.length) return null;
  const paid = [...(original?.payments ?? [])].filter((p) => p.amount > 0).sort((a, b) => b.amount - a.amount);
  for (const payment of paid) if (allowed.some((m) => m.id === payment.methodId)) return payment.methodId;
  return (allowed.find((m) => m.is_cash) ?? allowed[0]).id;
}

/**
 * An order as the server sends it (`GET orders/recent`, `orders/lookup`: decimal strings)
 * in the local index's form.
 * @param {any} wire
 * @param {number} places
 * @returns {RecentOrder}
 */
export function recentFromWire(wire, places) {
  const amount = (/** @type {string} */ text) => parseAmount(text, places);
  return {
    uuid: wire.uuid,
    receiptNumber: wire.receipt_number,
    createdAt: wire.created_at,
    kind: wire.kind,
    original: wire.original ?? null,
    gross: amount(wire.gross),
    lines: wire.lines.map((/** @type {any} */ line) => ({
      position: line.position,
      productId: line.product_id ?? 0,
      name: line.name,
      unit: line.unit ?? "pc",
      quantity: parseQuantity(line.quantity),
      unitPrice: amount(line.unit_price),
      discount: parseDiscount(line.discount),
      taxId: line.tax_id ?? 0,
      rate: parseRate(line.tax_rate),
      priceIncludesTax: line.price_includes_tax,
      net: amount(line.net),
      tax: amount(line.tax),
      gross: amount(line.gross),
      originalLine: line.original_line ?? null,
      reason: line.reason ?? "",
    })),
    payments: wire.payments.map((/** @type {any} */ p) => ({ methodId: p.method_id, amount: amount(p.amount) })),
  };
}

/**
 * Whether a recent order matches a search: a receipt number (or its end), a day
 * (YYYY-MM-DD, the order's own date), or a total (typed as an amount).
 * @param {RecentOrder} order
 * @param {{text?: string, day?: string, gross?: number | null}} query
 */
export function recentMatches(order, { text = "", day = "", gross = null }) {
  if (text && !order.receiptNumber.toLowerCase().endsWith(text.trim().toLowerCase())) return false;
  if (day && !order.createdAt.startsWith(day)) return false;
  if (gross !== null && gross !== undefined && Math.abs(order.gross) !== Math.abs(gross)) return false;
  return Boolean(text || day || (gross !== null && gross !== undefined));
}

/**
 * A finished order of this till as the local index keeps it, written in the same
 * transaction as its finish (data/db.js orderFinish): its own refunds count against their
 * originals from that moment, synced or not.
 * @param {import("./cart.js").Order} order  stamped
 * @returns {RecentOrder}
 */
export function recentFromOrder(order) {
  return {
    uuid: order.uuid,
    receiptNumber: order.receiptNumber,
    createdAt: order.createdAt,
    kind: orderKind(order),
    original: order.original?.uuid ?? null,
    gross: totals(order).gross,
    lines: pricedLines(order).map((line, position) => ({
      position,
      productId: line.productId,
      name: line.name,
      unit: line.unit,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      discount: line.discount,
      taxId: line.taxId,
      rate: line.rate,
      priceIncludesTax: line.priceIncludesTax,
      net: line.net,
      tax: line.tax,
      gross: line.gross,
      originalLine: line.returned?.originalLine ?? null,
      reason: line.reason ?? "",
    })),
    payments: order.payments.map((payment) => ({ methodId: payment.methodId, amount: payment.amount })),
    local: true,
  };
}
