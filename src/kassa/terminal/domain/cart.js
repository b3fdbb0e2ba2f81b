// @ts-check
/**
 * The order being rung up: an immutable value. Every function takes an order and returns a
 * new one (frozen), so the UI can keep the previous order for undo and compare by identity.
 *
 * Lines keep their inputs (quantity, unit price, discount, tax snapshot) and not their
 * amounts: net, tax and gross are computed by `pricedLines` with `money.linePrice`, so they
 * can never disagree with the inputs. All numbers are integers in the units of `money.js`.
 *
 * A line taken away after it was shown is kept, marked `voided` (docs/permissions.md):
 * removing a line voids it, lowering its quantity adds a voided line for the part taken
 * away. Voided lines count for nothing (totals, receipt, customer display: `pricedLines`
 * leaves them out) but travel with the order to the server and its reports
 * (`voidedPricedLines`). Who may make a restricted change is `authorizeChange`'s to say.
 */

import { checkChanges, restrictedChanges } from "./permissions.js";
import {
  MoneyError,
  formatAmount,
  formatDiscount,
  formatQuantity,
  formatRate,
  linePrice,
  orderTotals,
  parseAmount,
  parseRate,
  taxBreakdown,
} from "./money.js";

/**
 * The server's limits (src/kassa/server/orders): an order beyond them would be rejected at
 * sync, long after the customer left, so the cart refuses it while the cashier can act.
 */
export const LIMITS = Object.freeze({
  lines: 500,
  payments: 20,
  noteLength: 500,
  quantity: 100_000_000, // thousandths: 100,000 units
  amountMajor: 1_000_000_000, // any unit price, line amount or payment, in currency units
});

/** A cart operation that is not allowed; `code` is stable, `message` is for the log. */
export class CartError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "CartError";
    this.code = code;
  }
}

/**
 * @typedef {object} CatalogProduct  as the server's catalog sends it
 * @property {number} id
 * @property {string} name
 * @property {string} [ref]
 * @property {string[]} [barcodes]
 * @property {number | null} [category_id]
 * @property {string} price            decimal string, currency places
 * @property {number} tax_id
 * @property {"pc" | "kg" | "l" | "m"} [unit]
 * @property {boolean} [weighed]
 *
 * @typedef {object} CatalogTax
 * @property {number} id
 * @property {string} [name]
 * @property {string} rate             decimal string, percent: "21", "7.7"
 * @property {boolean} price_includes_tax
 *
 * @typedef {object} CatalogPaymentMethod
 * @property {number} id
 * @property {string} [name]
 * @property {boolean} is_cash
 */

/**
 * @typedef {object} Line
 * @property {string} id               local to the order
 * @property {number} productId
 * @property {string} name
 * @property {string} unit
 * @property {boolean} weighed
 * @property {number} quantity         thousandths
 * @property {number} unitPrice        minor units, the price charged
 * @property {number} listPrice        minor units, the catalog price when added
 * @property {number} discount         hundredths of a percent
 * @property {number} taxId
 * @property {number} rate             ten-thousandths of a percent
 * @property {boolean} priceIncludesTax
 * @property {boolean} priceOverridden set by setPrice
 * @property {number | null} approvedBy the person (cashier id) who approved a price or discount
 * @property {boolean} [voided]        taken away after it was shown: kept, counts for nothing
 * @property {string | null} [voidOf]  a voided part of a decrease: the line it was taken from
 * @property {Returned | null} [returned] a line of a refund: its original line and fixed amounts
 * @property {string} [reason]         a returned line's reason code (refunds and blind returns)
 *
 * @typedef {object} Returned  what a refund line takes of its original line (domain/refund.js)
 * @property {number} originalLine     the original line's position in its order
 * @property {number} net              minor units, negative: the original's × q/Q (never
 * @property {number} tax              recomputed from the price, which the line keeps only
 * @property {number} gross            to print it)
 *
 * @typedef {object} OriginalRef  the order a refund or exchange returns goods of
 * @property {string} uuid
 * @property {string} receiptNumber
 * @property {string} at               its createdAt
 *
 * @typedef {Line & import("./money.js").TaxedAmount} PricedLine
 *
 * @typedef {object} Payment
 * @property {string} id
 * @property {number} methodId
 * @property {boolean} isCash
 * @property {number} amount           minor units; negative when money goes out (refund)
 *
 * @typedef {object} Order
 * @property {string} uuid
 * @property {string} receiptNumber
 * @property {string} createdAt        ISO 8601 with the terminal's UTC offset
 * @property {number} places           the currency's decimals
 * @property {string} note
 * @property {readonly Line[]} lines
 * @property {readonly Payment[]} payments
 * @property {string | null} selectedLineId
 * @property {number} nextId           next local id for a line or payment
 * @property {OriginalRef | null} [original]  set by addReturnedLines (refunds, exchanges)
 * @property {string | null} [approval]  the approval (uuid) a refund or blind return went ahead on
 * @property {readonly Approval[]} [approvals]  the approvals its restricted changes used
 *
 * @typedef {import("./permissions.js").Grant & {[field: string]: any}} Approval
 */

/**
 * A new, empty order.
 * @param {object} init
 * @param {() => string} init.newUuid      uuid4 generator (crypto.randomUUID in the app)
 * @param {string} init.receiptNumber      "" in the app: the number is given when the order is
 *                                         paid (data/db.js orderFinish, then stampOrder)
 * @param {string} init.createdAt          use localIsoString(new Date()) in the app
 * @param {number} init.places             the currency's decimals
 * @returns {Order}
 */
export function createOrder({ newUuid, receiptNumber, createdAt, places }) {
  if (!Number.isInteger(places) || places < 0) throw new CartError("places", `places: ${places}`);
  return freeze({
    uuid: newUuid(),
    receiptNumber,
    createdAt,
    places,
    note: "",
    lines: [],
    payments: [],
    selectedLineId: null,
    nextId: 1,
    approvals: [],
  });
}

/**
 * The order as finished: its receipt number and the time of the sale. The terminal takes
 * the number when the order is paid (data/db.js orderFinish), so parked or abandoned
 * orders leave no gap in the numbering, and the sale's time is when it was paid.
 * @param {Order} order
 * @param {{receiptNumber: string, createdAt: string}} stamp
 * @returns {Order}
 */
export function stampOrder(order, { receiptNumber, createdAt }) {
  if (!receiptNumber) throw new CartError("receipt_number", "a finished order needs a receipt number");
  return freeze({ ...order, receiptNumber, createdAt });
}

/**
 * A date as ISO 8601 with a UTC offset: "2026-11-21T10:15:00.123+01:00".
 * @param {Date} date
 * @param {number} [offsetMinutes] east of UTC; the runtime's zone by default
 * @returns {string}
 */
export function localIsoString(date, offsetMinutes = -date.getTimezoneOffset()) {
  const shifted = new Date(date.getTime() + offsetMinutes * 60000).toISOString().slice(0, 23);
  const abs = Math.abs(offsetMinutes);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${shifted}${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * Add a product. Without `quantity` one unit is added, and it merges into the last line of
 * the same product at the same unit price without discount, override or weighing (+1);
 * weighed products need a quantity and never merge. The new or merged line is selected.
 * @param {Order} order
 * @param {object} item
 * @param {CatalogProduct} item.product
 * @param {CatalogTax} item.tax           the product's tax (tax.id === product.tax_id)
 * @param {number} [item.quantity]        thousandths; from a scale or a weight barcode
 * @param {number} [item.unitPrice]       minor units; from a price barcode, not an override
 * @param {boolean} [item.merge]          false to always make a new line
 * @returns {Order}
 */
export function addProduct(order, { product, tax, quantity, unitPrice, merge = true }) {
  if (tax.id !== product.tax_id) {
    throw new CartError("tax_mismatch", `product ${product.id} has tax ${product.tax_id}, not ${tax.id}`);
  }
  const weighed = Boolean(product.weighed);
  if (weighed && quantity === undefined) {
    throw new CartError("quantity_required", `product ${product.id} is weighed: a quantity is required`);
  }
  const added = quantity ?? 1000;
  checkQuantity(added);
  const listPrice = parseAmount(product.price, order.places);
  const price = unitPrice ?? listPrice;
  checkUnitPrice(price, order.places);

  if (merge && !weighed && added > 0) {
    const target = order.lines.findLast(
      (line) =>
        !line.voided &&
        line.productId === product.id &&
        line.unitPrice === price &&
        line.discount === 0 &&
        !line.weighed &&
        !line.priceOverridden &&
        line.quantity > 0,
    );
    if (target) {
      const merged = updateLine(order, target.id, { quantity: target.quantity + added });
      return freeze({ ...merged, selectedLineId: target.id });
    }
  }
  const id = String(order.nextId);
  /** @type {Line} */
  const line = {
    id,
    productId: product.id,
    name: product.name,
    unit: product.unit ?? "pc",
    weighed,
    quantity: added,
    unitPrice: price,
    listPrice,
    discount: 0,
    taxId: tax.id,
    rate: parseRate(tax.rate),
    priceIncludesTax: tax.price_includes_tax,
    priceOverridden: false,
    approvedBy: null,
  };
  checkPriceable(line, order.places);
  if (order.lines.length >= LIMITS.lines)
    throw new CartError("too_many_lines", `an order has at most ${LIMITS.lines} lines`);
  return freeze({ ...order, lines: [...order.lines, line], selectedLineId: id, nextId: order.nextId + 1 });
}

/**
 * Add the lines of a refund: each pick (domain/refund.js refundPicks) becomes a returned line
 * at the original line's own unit price, discount and tax, with the amounts the refund rule
 * gave (negated) and its reason. One ticket returns goods of one original; it may also hold
 * new lines (an exchange).
 * @param {Order} order
 * @param {OriginalRef} original
 * @param {{position: number, quantity: number, reason: string, line: import("./refund.js").RecentLine, amounts: import("./refund.js").Figures}[]} picks
 * @param {{approval?: string | null}} [options]
 * @returns {Order}
 */
export function addReturnedLines(order, original, picks, { approval = null } = {}) {
  if (order.original && order.original.uuid !== original.uuid)
    throw new CartError("other_original", `this ticket already returns goods of ${order.original.receiptNumber}`);
  if (order.lines.some((line) => line.returned && picks.some((pick) => pick.position === line.returned?.originalLine)))
    throw new CartError("line_returned_twice", "a line of the original is already on this ticket");
  if (order.lines.length + picks.length > LIMITS.lines)
    throw new CartError("too_many_lines", `an order has at most ${LIMITS.lines} lines`);
  let nextId = order.nextId;
  /** @type {Line[]} */
  const lines = picks.map((pick) => ({
    id: String(nextId++),
    productId: pick.line.productId,
    name: pick.line.name,
    unit: pick.line.unit,
    weighed: false,
    quantity: -pick.quantity,
    unitPrice: pick.line.unitPrice,
    listPrice: pick.line.unitPrice,
    discount: pick.line.discount,
    taxId: pick.line.taxId,
    rate: pick.line.rate,
    priceIncludesTax: pick.line.priceIncludesTax,
    priceOverridden: false,
    approvedBy: null,
    returned: {
      originalLine: pick.position,
      net: -pick.amounts.net,
      tax: -pick.amounts.tax,
      gross: -pick.amounts.gross,
    },
    reason: pick.reason,
  }));
  return freeze({
    ...order,
    original,
    approval: approval ?? order.approval ?? null,
    lines: [...order.lines, ...lines],
    selectedLineId: lines.at(-1)?.id ?? order.selectedLineId,
    nextId,
  });
}

/**
 * Mark a line as returned without a receipt (a blind return: negative quantity, no
 * original), with its reason and the manager who approved it.
 * @param {Order} order
 * @param {string} lineId
 * @param {{quantity: number, reason: string, approvedBy: number | null, approval?: string | null}} blind
 * @returns {Order}
 */
export function setBlindReturn(order, lineId, { quantity, reason, approvedBy, approval = null }) {
  if (quantity >= 0) throw new CartError("quantity", "a returned quantity is negative");
  checkQuantity(quantity);
  const next = updateLine(order, lineId, { quantity, reason, approvedBy });
  return freeze({ ...next, approval: approval ?? order.approval ?? null });
}

/**
 * What the ticket is: a sale, a refund (only returned lines) or an exchange (both).
 * @param {Order} order
 * @returns {"sale" | "refund" | "exchange"}
 */
export function orderKind(order) {
  const returned = order.lines.some((line) => line.quantity < 0);
  if (!returned) return "sale";
  return order.lines.some((line) => line.quantity > 0) ? "exchange" : "refund";
}

/**
 * Set a line's quantity (thousandths, not zero; negative for a returned item). To drop a line
 * use removeLine. Lowered toward zero, the part taken away is kept as a voided line.
 * @param {Order} order
 * @param {string} lineId
 * @param {number} quantity
 * @returns {Order}
 */
export function setQuantity(order, lineId, quantity) {
  checkQuantity(quantity);
  const line = findLine(order, lineId);
  const updated = updateLine(order, lineId, { quantity });
  if (Math.sign(quantity) !== Math.sign(line.quantity) || Math.abs(quantity) >= Math.abs(line.quantity)) {
    return updated;
  }
  /** @type {Line} */
  const part = { ...line, id: String(order.nextId), quantity: line.quantity - quantity, voided: true, voidOf: lineId };
  return freeze({ ...updated, lines: [...updated.lines, part], nextId: order.nextId + 1 });
}

/**
 * Set a line's discount (hundredths of a percent); pass the approver's id, which the line
 * keeps (the last approval given on the line stays). Who may is `authorizeChange`'s to say.
 * @param {Order} order
 * @param {string} lineId
 * @param {number} discount
 * @param {{approvedBy?: number | null}} [options]
 * @returns {Order}
 */
export function setDiscount(order, lineId, discount, { approvedBy = null } = {}) {
  if (!Number.isSafeInteger(discount) || discount < 0 || discount > 10000) {
    throw new CartError("discount", `discount ${discount} is not within 0..10000 hundredths of a percent`);
  }
  const line = findLine(order, lineId);
  return updateLine(order, lineId, { discount, approvedBy: approvedBy ?? line.approvedBy });
}

/**
 * Override a line's unit price (minor units). Marks the line as overridden unless the price
 * is set back to the catalog price. Who may is `authorizeChange`'s to say.
 * @param {Order} order
 * @param {string} lineId
 * @param {number} unitPrice
 * @param {{approvedBy?: number | null}} [options]
 * @returns {Order}
 */
export function setPrice(order, lineId, unitPrice, { approvedBy = null } = {}) {
  checkUnitPrice(unitPrice, order.places);
  const line = findLine(order, lineId);
  return updateLine(order, lineId, {
    unitPrice,
    priceOverridden: unitPrice !== line.listPrice,
    approvedBy: approvedBy ?? line.approvedBy,
  });
}

/**
 * Remove a line: it is kept, voided; the selection moves to the line before it (or the
 * next, or none).
 * @param {Order} order
 * @param {string} lineId
 * @returns {Order}
 */
export function removeLine(order, lineId) {
  findLine(order, lineId);
  const lines = order.lines.map((line) => (line.id === lineId ? { ...line, voided: true } : line));
  let selectedLineId = order.selectedLineId;
  if (selectedLineId === lineId) {
    const shown = order.lines.filter((line) => !line.voided);
    const index = shown.findIndex((line) => line.id === lineId);
    selectedLineId = (shown[index - 1] ?? shown[index + 1] ?? null)?.id ?? null;
  }
  return freeze({ ...order, lines, selectedLineId });
}

/**
 * Whether the order has lines that count (not voided).
 * @param {Order} order
 */
export function hasLines(order) {
  return order.lines.some((line) => !line.voided);
}

/**
 * Check the restricted changes from `before` to `after` (docs/permissions.md): each must
 * be allowed to the cashier logged in now, or covered by one of `approvals` that no
 * change of this order used before. Throws a CartError (`not_permitted`, or
 * `approval_required` with the change in `change`) otherwise; returns `after` with the
 * approvals it used recorded on it, and, given `alone`, a record of each restricted
 * change the cashier's role let them make alone (marked `alone`: the server judges it by
 * that role, whoever finishes the order).
 * @param {Order} before
 * @param {Order} after
 * @param {object} authority
 * @param {import("./permissions.js").Rules | null | undefined} authority.rules
 * @param {readonly Approval[]} [authority.approvals]
 * @param {{person: {id: number, name: string}, role: {code: string, revision: number}, newId: () => string}} [authority.alone]
 * @returns {Order}
 */
export function authorizeChange(before, after, { rules, approvals = [], alone }) {
  const changes = restrictedChanges(before, after);
  const previous = before.uuid === after.uuid ? (before.approvals ?? []) : [];
  const used = new Set(previous.map((approval) => approval.id));
  const verdict = checkChanges(changes, { rules, approvals, used, places: after.places });
  if (!verdict.ok) {
    const error = new CartError(
      verdict.why === "denied" ? "not_permitted" : "approval_required",
      `${verdict.change.action} on ${JSON.stringify(verdict.change.subject)}: ${verdict.why}`,
    );
    /** @type {any} */ (error).change = verdict.change;
    throw error;
  }
  const taken = approvals.filter((approval) => verdict.used.includes(approval));
  if (alone) {
    for (const change of verdict.alone) {
      taken.push({
        id: alone.newId(),
        action: change.action,
        subject: change.subject,
        value: change.value,
        alone: true,
        asked_by: alone.person,
        approver: alone.person,
        approver_role: alone.role,
        reason: null,
        note: "",
        before: change.before,
        after: change.after,
      });
    }
  }
  if (!taken.length) return after;
  return freeze({ ...after, approvals: [...previous, ...taken] });
}

/**
 * @param {Order} order
 * @param {string | null} lineId
 * @returns {Order}
 */
export function selectLine(order, lineId) {
  if (lineId !== null) findLine(order, lineId);
  if (lineId === order.selectedLineId) return order;
  return freeze({ ...order, selectedLineId: lineId });
}

/**
 * @param {Order} order
 * @param {string} note
 * @returns {Order}
 */
export function setNote(order, note) {
  if (note.length > LIMITS.noteLength)
    throw new CartError("note_too_long", `a note has at most ${LIMITS.noteLength} characters`);
  return freeze({ ...order, note });
}

/**
 * Add a payment. Several payments split the order. Only cash can be overpaid (the excess is
 * the change): a non-cash payment that takes the non-cash total above the order total is
 * refused. On a refund (negative total) payments are negative and nothing can be overpaid.
 * @param {Order} order
 * @param {{method: CatalogPaymentMethod, amount: number}} payment
 * @returns {Order}
 */
export function addPayment(order, { method, amount }) {
  checkAmount(amount, "payment amount", order.places);
  if (order.payments.length >= LIMITS.payments) {
    throw new CartError("too_many_payments", `an order has at most ${LIMITS.payments} payments`);
  }
  const total = totals(order).gross;
  if (amount === 0 || (total >= 0 ? amount < 0 : amount > 0)) {
    throw new CartError("payment_sign", `payment ${amount} does not go the way of the total ${total}`);
  }
  /** @type {Payment} */
  const added = { id: String(order.nextId), methodId: method.id, isCash: method.is_cash, amount };
  const next = freeze({ ...order, payments: [...order.payments, added], nextId: order.nextId + 1 });
  const problem = paymentProblem(next);
  if (problem) throw new CartError(problem.code, problem.message);
  return next;
}

/**
 * @param {Order} order
 * @param {string} paymentId
 * @returns {Order}
 */
export function removePayment(order, paymentId) {
  if (!order.payments.some((payment) => payment.id === paymentId)) {
    throw new CartError("no_payment", `no payment ${paymentId}`);
  }
  return freeze({ ...order, payments: order.payments.filter((payment) => payment.id !== paymentId) });
}

/**
 * Priced lines by the `order.lines` array they were computed from, and totals by the priced
 * lines. Only a frozen array of frozen lines is a key (every order made here is, see
 * `freeze`), so a cached result can never go stale; an order that is not frozen (read back
 * from IndexedDB, made by hand) is priced again on every call. A new array of lines (any
 * line changed) is a new key; paying or selecting keeps the array and so the prices.
 * @type {WeakMap<readonly Line[], {places: number, priced: readonly PricedLine[]}>}
 */
const pricedCache = new WeakMap();
/** @type {WeakMap<readonly PricedLine[], Readonly<import("./money.js").TaxedAmount>>} */
const totalsCache = new WeakMap();

/**
 * The lines with their net, tax and gross (frozen: the same result is handed to every
 * caller of the same lines).
 * @param {Order} order
 * @returns {readonly PricedLine[]}
 */
export function pricedLines(order) {
  const { lines, places } = order;
  const cached = pricedCache.get(lines);
  if (cached && cached.places === places) return cached.priced;
  const priced = Object.freeze(
    lines.filter((line) => !line.voided).map((line) => Object.freeze({ ...line, ...priceLine(line, places) })),
  );
  if (Object.isFrozen(lines) && lines.every((line) => Object.isFrozen(line)))
    pricedCache.set(lines, { places, priced });
  return priced;
}

/**
 * The voided lines with what they were worth (for the server and the day's report).
 * @param {Order} order
 * @returns {PricedLine[]}
 */
export function voidedPricedLines(order) {
  return order.lines.filter((line) => line.voided).map((line) => linePriced(line, order.places));
}

/**
 * One line with its net, tax and gross, voided or not.
 * @param {Line} line
 * @param {number} places
 * @returns {PricedLine}
 */
export function linePriced(line, places) {
  return { ...line, ...priceLine(line, places) };
}

/**
 * @param {Order} order
 * @returns {Readonly<import("./money.js").TaxedAmount>} frozen
 */
export function totals(order) {
  const priced = pricedLines(order);
  let sum = totalsCache.get(priced);
  if (!sum) {
    sum = Object.freeze(orderTotals(priced));
    totalsCache.set(priced, sum);
  }
  return sum;
}

/**
 * @param {Order} order
 * @returns {import("./money.js").TaxGroup[]}
 */
export function taxes(order) {
  return taxBreakdown(pricedLines(order));
}

/** Sum of all payments. @param {Order} order @returns {number} */
export function paid(order) {
  return order.payments.reduce((sum, payment) => sum + payment.amount, 0);
}

/** Sum of the cash payments. @param {Order} order @returns {number} */
export function cashPaid(order) {
  return order.payments.reduce((sum, payment) => sum + (payment.isCash ? payment.amount : 0), 0);
}

/**
 * What is still to be paid: positive on a sale, negative (to pay out) on a refund, 0 when
 * covered.
 * @param {Order} order
 * @returns {number}
 */
export function amountDue(order) {
  const total = totals(order).gross;
  const remaining = total - paid(order);
  return total >= 0 ? Math.max(0, remaining) : Math.min(0, remaining);
}

/**
 * The change to hand back: what was paid beyond the total, on a sale only.
 * @param {Order} order
 * @returns {number}
 */
export function change(order) {
  const total = totals(order).gross;
  return total >= 0 ? Math.max(0, paid(order) - total) : 0;
}

/**
 * Why the payments cannot stand, or null: non-cash paid beyond the total (change would come
 * out of a card), or a refund paid out beyond its total. Lines changed after a payment can
 * cause either.
 * @param {Order} order
 * @returns {{code: "non_cash_overpay" | "refund_overpaid", message: string} | null}
 */
export function paymentProblem(order) {
  const total = totals(order).gross;
  const nonCash = paid(order) - cashPaid(order);
  if (total >= 0 && change(order) > cashPaid(order)) {
    return { code: "non_cash_overpay", message: `non-cash payments ${nonCash} exceed the total ${total}` };
  }
  if (total < 0 && paid(order) < total) {
    return { code: "refund_overpaid", message: `payments ${paid(order)} exceed the refund ${total}` };
  }
  return null;
}

/**
 * Whether the order can be finished: it has lines, the payments cover the total, and any
 * change is covered by cash.
 * @param {Order} order
 * @returns {boolean}
 */
export function isFullyPaid(order) {
  return hasLines(order) && amountDue(order) === 0 && paymentProblem(order) === null;
}

/**
 * @typedef {object} SyncLine
 * @property {number} product_id
 * @property {string} quantity
 * @property {string} unit_price
 * @property {string} discount
 * @property {number} tax_id
 * @property {string} tax_rate
 * @property {boolean} price_includes_tax
 * @property {string} net
 * @property {string} tax
 * @property {string} gross
 * @property {boolean} price_overridden
 * @property {number | null} approved_by
 * @property {number} [original_line]  a returned line's original line (position)
 * @property {string} [reason]         a returned line's reason code
 * @property {string} line_id          the line's id in the order (approvals name it)
 * @property {string} list_price       the catalog price when the line was added
 * @property {boolean} voided          taken away after it was shown; counts for nothing
 *
 * @typedef {object} SyncApproval      an approval the order's restricted changes used
 * @property {string} id
 * @property {string} action
 * @property {{kind: string, order?: string, line?: string, session?: string}} subject
 * @property {number} asked_by
 * @property {number} approved_by
 * @property {{code: string, revision: number}} approver_role
 * @property {string | null} reason
 * @property {string} note
 * @property {string | null} before
 * @property {string | null} after
 *
 * @typedef {object} SyncPayload
 * @property {string} uuid
 * @property {"refund" | "exchange"} [kind]  absent on a sale
 * @property {string | null} [original_uuid]
 * @property {string} receipt_number
 * @property {string} session_uuid
 * @property {number} cashier_id
 * @property {string} created_at
 * @property {string} note
 * @property {SyncLine[]} lines
 * @property {{method_id: number, amount: string}[]} payments
 * @property {string} change
 * @property {{net: string, tax: string, gross: string}} totals
 * @property {{code: string, revision: number} | null} cashier_role  the role (and revision of
 *   its permissions) the till judged the cashier's changes by
 * @property {SyncApproval[]} approvals
 */

/**
 * The order as the server's sync endpoint takes it (amounts as decimal strings).
 * @param {Order} order
 * @param {{sessionUuid: string, cashierId: number, cashierRole?: {code: string, revision: number} | null}} context
 *        the open session, the cashier finishing the order and their role
 * @returns {SyncPayload}
 */
export function toSyncPayload(order, { sessionUuid, cashierId, cashierRole = null }) {
  if (!isFullyPaid(order)) throw new CartError("not_paid", `order ${order.uuid} is not fully paid`);
  const places = order.places;
  const money = (/** @type {number} */ amount) => formatAmount(amount, places);
  const sum = totals(order);
  const kind = orderKind(order);
  // A sale's payload is as it always was; a refund or exchange names its kind and original.
  const refund = kind === "sale" ? {} : { kind, original_uuid: order.original?.uuid ?? null };
  return {
    uuid: order.uuid,
    ...refund,
    receipt_number: order.receiptNumber,
    session_uuid: sessionUuid,
    cashier_id: cashierId,
    created_at: order.createdAt,
    note: order.note,
    lines: [...pricedLines(order), ...voidedPricedLines(order)].map((line) => ({
      product_id: line.productId,
      // The name as printed: the server keeps it, so a product renamed after this till's
      // catalog download still matches the sale's journal entry.
      name: line.name,
      quantity: formatQuantity(line.quantity),
      unit_price: money(line.unitPrice),
      discount: formatDiscount(line.discount),
      tax_id: line.taxId,
      tax_rate: formatRate(line.rate),
      price_includes_tax: line.priceIncludesTax,
      net: money(line.net),
      tax: money(line.tax),
      gross: money(line.gross),
      price_overridden: line.priceOverridden,
      approved_by: line.approvedBy,
      ...(line.returned ? { original_line: line.returned.originalLine } : {}),
      ...(line.reason ? { reason: line.reason } : {}),
      line_id: line.id,
      list_price: money(line.listPrice),
      voided: Boolean(line.voided),
    })),
    payments: order.payments.map((payment) => ({ method_id: payment.methodId, amount: money(payment.amount) })),
    change: money(change(order)),
    totals: { net: money(sum.net), tax: money(sum.tax), gross: money(sum.gross) },
    cashier_role: cashierRole,
    approvals: (order.approvals ?? []).map((approval) => ({
      id: approval.id,
      action: approval.action,
      subject: { ...approval.subject },
      asked_by: approval.asked_by?.id ?? cashierId,
      approved_by: approval.approver?.id,
      approver_role: approval.approver_role,
      reason: approval.reason ?? null,
      note: approval.note ?? "",
      before: approval.before ?? null,
      after: approval.after ?? null,
    })),
  };
}

/**
 * @param {Line} line
 * @param {number} places
 */
function priceLine(line, places) {
  if (line.returned) return { net: line.returned.net, tax: line.returned.tax, gross: line.returned.gross };
  return linePrice({
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    discount: line.discount,
    rate: line.rate,
    priceIncludesTax: line.priceIncludesTax,
    places,
  });
}

/**
 * @param {Order} order
 * @param {string} lineId
 * @returns {Line}
 */
function findLine(order, lineId) {
  const line = order.lines.find((candidate) => candidate.id === lineId && !candidate.voided);
  if (!line) throw new CartError("no_line", `no line ${lineId}`);
  return line;
}

/**
 * @param {Order} order
 * @param {string} lineId
 * @param {Partial<Line>} changes
 * @returns {Order}
 */
function updateLine(order, lineId, changes) {
  if (findLine(order, lineId).returned)
    throw new CartError("returned_line", "a refunded line keeps its quantity and price: remove it and pick again");
  const lines = order.lines.map((line) => (line.id === lineId ? { ...line, ...changes } : line));
  checkPriceable(/** @type {Line} */ (lines.find((line) => line.id === lineId)), order.places);
  return freeze({ ...order, lines });
}

/**
 * An amount that overflows is refused when the line is made, not when the total is shown.
 * @param {Line} line
 * @param {number} places
 */
function checkPriceable(line, places) {
  try {
    checkAmount(priceLine(line, places).gross, "line amount", places);
  } catch (error) {
    if (error instanceof MoneyError) throw new CartError("amount", error.message);
    throw error;
  }
}

/** @param {number} quantity */
function checkQuantity(quantity) {
  if (!Number.isSafeInteger(quantity) || quantity === 0 || Math.abs(quantity) > LIMITS.quantity) {
    throw new CartError(
      "quantity",
      `quantity ${quantity} is not a non-zero integer number of thousandths up to ${LIMITS.quantity}`,
    );
  }
}

/**
 * @param {number} amount
 * @param {string} field
 * @param {number} places
 */
function checkAmount(amount, field, places) {
  if (!Number.isSafeInteger(amount)) throw new CartError("amount", `${field} ${amount} is not an integer`);
  if (Math.abs(amount) > LIMITS.amountMajor * 10 ** places) {
    throw new CartError("amount", `${field} ${amount} is beyond ${LIMITS.amountMajor} currency units`);
  }
}

/**
 * @param {number} unitPrice
 * @param {number} places
 */
function checkUnitPrice(unitPrice, places) {
  checkAmount(unitPrice, "unit price", places);
  if (unitPrice < 0) throw new CartError("amount", `unit price ${unitPrice} is negative; use a negative quantity`);
}

/**
 * @param {Order} order
 * @returns {Order}
 */
function freeze(order) {
  for (const line of order.lines) Object.freeze(line);
  for (const payment of order.payments) Object.freeze(payment);
  Object.freeze(order.lines);
  Object.freeze(order.payments);
  return Object.freeze(order);
}

/**
 * Amounts for the quick cash buttons: the exact amount due, then the smallest multiple of
 * each banknote that covers it (5, 10, 20, 50, 100 currency units), without repeats; at
 * most `count`.
 * @param {number} due     minor units, > 0
 * @param {number} places
 * @param {number} [count]
 * @returns {number[]}
 */
export function quickCashAmounts(due, places, count = 4) {
  if (due <= 0) return [];
  const unit = 10 ** places;
  /** @type {number[]} */
  const amounts = [due];
  for (const note of [5, 10, 20, 50, 100]) {
    const step = note * unit;
    const amount = Math.ceil(due / step) * step;
    if (!amounts.includes(amount)) amounts.push(amount);
    if (amounts.length >= count) break;
  }
  return amounts;
}
