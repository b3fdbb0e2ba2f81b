// @ts-check
/**
 * Order editing: the open orders (park, resume, discard), adding products (tiles, search,
 * scans), the lines and the sale screen's numpad. Every change goes through `change`, which
 * keeps the order in IndexedDB and tells the bus (`order.changed`).
 *
 * Restricted changes (docs/permissions.md: a line voided or decreased, a price off the
 * list, a discount above the role's limit, an order abandoned) are checked where the
 * order is set (`setOrder`), whatever asked for them (a button, a key, the numpad, a scan,
 * the console): each must be allowed to the cashier logged in now, or come with an
 * approval given for it here (flows/approval.js) and not used before.
 */
import { t } from "../domain/i18n.js";
import * as cart from "../domain/cart.js";
import { DEFAULT_PATTERNS, parseBarcode } from "../domain/barcode.js";
import { formatAmount, parseDiscount, parseQuantity, parseTyped, typedAmount } from "../domain/money.js";
import { restrictedChanges } from "../domain/permissions.js";
import { abandonedPayload, lineVoidPayload, voidedLines } from "../domain/journal.js";
import { editBuffer } from "../domain/numpad.js";
import { lookupBarcode, productById } from "../domain/search.js";
import * as data from "../data/db.js";
import { emit } from "../state/events.js";
import { getState, setState } from "../state/store.js";
import { channel, runtime } from "./context.js";
import { journalChanged, journalWrite } from "./journal.js";
import { authorize, rightTo, rulesOf, spendApproval, spentHere } from "./approval.js";
import { toast } from "./messages.js";
import { refundFromScan } from "./refund.js";

/** @typedef {import("../state/store.js").OpenOrder} OpenOrder */

/** Writes of the open orders, one after the other, so a late save never undoes a finish. */
let orderWrites = Promise.resolve();
/** Orders finished (paid or discarded) in this tab: a save still queued for them must not bring them back. */
export const finished = new Set();

/** Resolves when every queued write of an open order is done. */
export function ordersWritten() {
  return orderWrites;
}

/** The order on screen (there is one from the sale phase on). @returns {OpenOrder} */
export function currentOrder() {
  const { order } = getState();
  if (!order) throw new Error("no order: the sale has not started");
  return order;
}

/** @returns {import("../state/store.js").TerminalConfig} */
function config() {
  const { config } = getState();
  if (!config) throw new Error("the terminal has no configuration yet");
  return config;
}

/** @returns {OpenOrder} */
export function newOrder() {
  const order = cart.createOrder({
    newUuid: () => crypto.randomUUID(),
    receiptNumber: "",
    createdAt: cart.localIsoString(new Date()),
    places: config().currency_places,
  });
  // When it was started, to list open orders in order (not part of the synced order).
  return Object.freeze({ ...order, openedAt: order.createdAt });
}

/**
 * Replace the current order and keep it (an empty order is not stored), with the journal's
 * entries for what the change took away (LINE_VOID) in the same transaction.
 * @param {OpenOrder} order
 * @param {import("../data/journal.js").JournalEvent[]} [events]
 */
export function setOrder(order, events = []) {
  guard(order);
  setState({ order, numpad: { ...getState().numpad, buffer: "" } });
  persist(order, events);
  emit("order.changed", { order });
}

/**
 * Refuse an order that replaces the one on screen with restricted changes the cashier
 * logged in now may not make alone and that no approval spent here covers.
 * @param {OpenOrder} order
 */
function guard(order) {
  const { order: current, cashier } = getState();
  if (!current || current.uuid !== order.uuid) return;
  const known = new Set((current.approvals ?? []).map((approval) => approval.id));
  const fresh = (order.approvals ?? []).filter((approval) => !known.has(approval.id));
  // A change made alone is recorded as the cashier's own; any other approval must have
  // been given here and used up by this change.
  if (fresh.some((approval) => (approval.alone ? approval.approver?.id !== cashier?.id : !spentHere(approval)))) {
    throw new cart.CartError("approval_used", "an approval that was not given here, for this change");
  }
  cart.authorizeChange(
    current,
    { ...order, approvals: current.approvals ?? [] },
    {
      rules: rulesOf(cashier),
      approvals: fresh.filter((approval) => !approval.alone),
    },
  );
}

/**
 * @param {OpenOrder} order
 * @param {import("../data/journal.js").JournalEvent[]} events
 */
function persist(order, events) {
  const journal = events.length ? journalWrite(events) : undefined;
  orderWrites = orderWrites
    .then(() => {
      if (finished.has(order.uuid)) return;
      return order.lines.length || order.note
        ? data.saveOrder(runtime.db, order, { journal })
        : data.deleteOrder(runtime.db, order.uuid, { journal });
    })
    .then(() => {
      channel?.postMessage({ type: "orders" });
      if (journal) journalChanged();
    })
    .catch((error) => toast(t("The order could not be saved: {error}", { error: String(error) }), "error"));
}

/**
 * A product's reference as the journal writes it ("" when none or not in the catalog).
 * @param {number} productId
 * @returns {string}
 */
export function productRef(productId) {
  const { index } = getState();
  const product = index ? productById(index, productId) : undefined;
  return typeof product?.ref === "string" ? product.ref : "";
}

/**
 * Apply a cart operation to the current order; a refused one becomes a message. A
 * restricted change needs the cashier's right or `approval` (used up by it).
 * @param {(order: OpenOrder, approval: import("./approval.js").Approval | null) => cart.Order} operation
 * @param {{approval?: import("./approval.js").Approval | null}} [options]
 * @returns {boolean} whether it was applied
 */
export function change(operation, { approval = null } = {}) {
  try {
    const before = currentOrder();
    // The cart's operations keep the order's other fields (openedAt).
    const changed = /** @type {OpenOrder} */ (operation(before, approval));
    const { cashier } = getState();
    const after = /** @type {OpenOrder} */ (
      cart.authorizeChange(before, changed, {
        rules: rulesOf(cashier),
        approvals: approval ? [approval] : [],
        alone: cashier
          ? {
              person: { id: cashier.id, name: cashier.name },
              role: { code: cashier.role, revision: cashier.role_revision ?? 0 },
              newId: () => crypto.randomUUID(),
            }
          : undefined,
      })
    );
    if (approval && after.approvals?.includes(approval) && !spendApproval(approval)) {
      throw new cart.CartError("approval_used", `approval ${approval.id} was used before`);
    }
    // A line removed, or its quantity lowered, after the customer saw it: LINE_VOID.
    const events = voidedLines(before, after).map((line) => ({
      type: "LINE_VOID",
      payload: lineVoidPayload(before, line, productRef),
    }));
    setOrder(after, events);
    return true;
  } catch (error) {
    toast(cartMessage(error), "error");
    return false;
  }
}

/** @param {unknown} error */
function cartMessage(error) {
  const code = /** @type {any} */ (error)?.code;
  /** @type {Record<string, string>} */
  const messages = {
    quantity: t("That quantity is not possible."),
    amount: t("That amount is too large."),
    too_many_lines: t("An order has at most {count} lines.", { count: cart.LIMITS.lines }),
    too_many_payments: t("An order has at most {count} payments.", { count: cart.LIMITS.payments }),
    non_cash_overpay: t("Only cash can be more than the amount due."),
    refund_overpaid: t("That pays out more than the refund."),
    payment_sign: t("The payment must go the same way as the total."),
    note_too_long: t("A note has at most {count} characters.", { count: cart.LIMITS.noteLength }),
    discount: t("A discount is between 0 and 100 %."),
    no_line: t("That line is not on the order any more."),
    approval_required: t("That needs an approval."),
    approval_used: t("That approval was used already; ask again."),
    not_permitted: t("That is not allowed for this cashier."),
  };
  return messages[code] ?? String(/** @type {any} */ (error)?.message ?? error);
}

// ---------------------------------------------------------------- open orders

/**
 * The open orders kept in the database, oldest first, without those finished (paid or
 * discarded) in this tab whose removal may still be on its way.
 * @returns {Promise<OpenOrder[]>}
 */
async function loadOpenOrders() {
  /** @type {OpenOrder[]} */
  const orders = await data.listOrders(runtime.db);
  return orders.filter((o) => !finished.has(o.uuid)).sort((a, b) => (a.openedAt ?? "").localeCompare(b.openedAt ?? ""));
}

/**
 * Into the sale phase with a session: the order on screen stays, else the newest open one,
 * else a new one.
 * @param {import("../state/store.js").CashSession} session
 */
export async function enterSale(session) {
  const orders = await loadOpenOrders();
  const current = getState().order;
  /** @type {Partial<import("../state/store.js").State>} */
  const sale = { session, phase: "sale", view: "sale" };
  if (current && !finished.has(current.uuid)) {
    setState({ ...sale, openOrders: orders.filter((o) => o.uuid !== current.uuid) });
  } else if (orders.length) {
    const [last] = orders.splice(orders.length - 1, 1);
    setState({ ...sale, order: last, openOrders: orders });
  } else {
    setState({ ...sale, order: newOrder(), openOrders: [] });
  }
}

/** Another tab changed the open orders. */
export async function refreshOpenOrders() {
  if (!runtime.db || getState().phase !== "sale") return;
  const current = getState().order;
  const orders = await loadOpenOrders();
  setState({ openOrders: orders.filter((o) => o.uuid !== current?.uuid) });
}

/** Park the current order and start a new one. */
export function newParkedOrder() {
  const { openOrders } = getState();
  const order = currentOrder();
  if (!order.lines.length && !order.note) return;
  setState({ openOrders: [...openOrders, order], search: "" });
  setOrder(newOrder());
}

/**
 * Switch to another open order (the current one is parked).
 * @param {string} uuid
 */
export function resumeOrder(uuid) {
  const { openOrders } = getState();
  const order = currentOrder();
  const target = openOrders.find((o) => o.uuid === uuid);
  if (!target) return;
  const keep = order.lines.length || order.note ? [order] : [];
  setState({ openOrders: [...openOrders.filter((o) => o.uuid !== uuid), ...keep], view: "sale" });
  setOrder(target);
}

/**
 * Drop the current order (after the cashier confirmed); one with lines is abandoned
 * (ORDER_ABANDON: the cashier's right, or an approval, whose OVERRIDE the journal has
 * before the ORDER_ABANDONED).
 */
export async function discardOrder() {
  const order = currentOrder();
  if (cart.hasLines(order)) {
    const granted = await authorize({
      action: "ORDER_ABANDON",
      subject: { kind: "order", order: order.uuid },
      message: t("Abandoning an order with lines needs an approval."),
      before: formatAmount(cart.totals(order).gross, order.places),
      after: null,
    });
    if (!granted || (granted.approval && !spendApproval(granted.approval))) return;
    if (getState().order?.uuid !== order.uuid) return;
  }
  const { openOrders } = getState();
  const journal = cart.hasLines(order)
    ? journalWrite([{ type: "ORDER_ABANDONED", payload: abandonedPayload(order, productRef) }])
    : undefined;
  orderWrites = orderWrites
    .then(() => data.deleteOrder(runtime.db, order.uuid, { journal }))
    .then(() => journal && journalChanged())
    .catch((error) =>
      toast(t("The discarded order could not be journalled: {error}", { error: String(error) }), "error"),
    );
  finished.add(order.uuid);
  if (openOrders.length) {
    const next = openOrders[openOrders.length - 1];
    setState({ openOrders: openOrders.slice(0, -1) });
    setOrder(next);
  } else {
    setOrder(newOrder());
  }
}

// ---------------------------------------------------------------- lines

/**
 * Add a product to the current order (tile, search result or scan).
 * @param {any} product
 * @param {{quantity?: number, unitPrice?: number, merge?: boolean}} [options]
 */
export function addToOrder(product, options = {}) {
  const { taxes, view, phase } = getState();
  if (phase !== "sale" || view !== "sale") {
    toast(t("Finish the payment first, or go back to the order."), "error");
    return;
  }
  if (product.weighed && options.quantity === undefined) {
    setState({ dialog: { kind: "weight", product } });
    return;
  }
  const tax = taxes?.get(product.tax_id);
  if (!tax) {
    toast(t("{name}: its tax is not known on this terminal.", { name: product.name }), "error");
    return;
  }
  const { returnMode } = getState();
  const added = returnMode
    ? change((order) => {
        // A return without a receipt: the product comes back at the catalog's price (or
        // the one typed), negative, with the approved reason.
        const next = cart.addProduct(order, { product, tax, ...options, merge: false });
        const line = next.lines.find((l) => l.id === next.selectedLineId);
        if (!line) return next;
        return cart.setBlindReturn(next, line.id, { quantity: -Math.abs(line.quantity), ...returnMode });
      })
    : change((order) => cart.addProduct(order, { product, tax, ...options }));
  if (added) {
    const order = currentOrder();
    emit("line.added", { order, line: order.lines.find((l) => l.id === order.selectedLineId) });
  }
}

/**
 * A scanned (or typed) barcode.
 * @param {string} code
 */
export function handleScan(code) {
  const { index, config, phase, dialog } = getState();
  if (phase !== "sale" || !index || !config) {
    toast(t("Log in to scan."), "error");
    return;
  }
  if (dialog) return; // a dialog has the cashier's attention; the scan is not guessed into it
  if (getState().view === "refund") {
    unknownScan(code, `${code} is no receipt of this store.`);
    return;
  }
  const parsed = parseBarcode(code, config.barcode_patterns ?? DEFAULT_PATTERNS, {
    places: config.currency_places,
    acceptOther: true,
  });
  if ("error" in parsed && parsed.error !== "check_digit") {
    // Not a product's barcode: perhaps the code on a receipt, to refund it.
    unknownScan(code, t("{code} is not a barcode this till reads.", { code }));
    return;
  }
  if ("error" in parsed) {
    const message =
      parsed.error === "check_digit"
        ? t("Barcode {code} was misread (check digit). Scan it again.", { code })
        : t("{code} is not a barcode this till reads.", { code });
    toast(message, "error");
    emit("scan.error", { code, message });
    return;
  }
  const [product] = lookupBarcode(index, parsed.lookupCode);
  if (!product) {
    unknownScan(code);
    return;
  }
  if (parsed.kind === "weight") addToOrder(product, { quantity: parsed.value });
  else if (parsed.kind === "price") addToOrder(product, { quantity: 1000, unitPrice: parsed.value, merge: false });
  else addToOrder(product);
}

/**
 * A scan that names no product: the code on one of the store's receipts opens its refund;
 * anything else is an unknown barcode.
 * @param {string} code
 * @param {string} [message]
 */
function unknownScan(code, message = t("Unknown barcode {code}.", { code })) {
  refundFromScan(code)
    .catch(() => false)
    .then((found) => {
      if (found) return;
      toast(message, "error");
      emit("scan.error", { code, message });
    });
}

/** @param {string | null} lineId */
export function selectLine(lineId) {
  change((order) => cart.selectLine(order, lineId));
}

/** Void the selected line (the Remove button, Backspace or Delete). */
export function removeSelectedLine() {
  const lineId = currentOrder().selectedLineId;
  if (lineId) return changeWithRights((o) => cart.removeLine(o, lineId));
  return Promise.resolve(false);
}

/** Why an approval is asked, in the till's language. @param {string} action */
function approvalMessage(action) {
  if (action === "LINE_VOID") return t("Taking away a line the customer has seen needs an approval.");
  if (action === "PRICE_OVERRIDE") return t("A price change needs an approval.");
  if (action === "LINE_DISCOUNT") return t("This discount is above your limit and needs an approval.");
  return t("This needs an approval.");
}

/**
 * A change the cashier asked for: done if their role allows it, else after an approval
 * (the approval dialog), else not at all.
 * @param {(order: OpenOrder, approval: import("./approval.js").Approval | null) => cart.Order} operation
 * @returns {Promise<boolean>} whether it was applied
 */
export async function changeWithRights(operation) {
  const before = currentOrder();
  let restricted;
  try {
    restricted = restrictedChanges(before, operation(before, null));
  } catch (error) {
    return change(() => {
      throw error;
    });
  }
  const needed = restricted.find((c) => rightTo(c.action, c.value) !== "allowed");
  if (!needed) return change(operation);
  const granted = await authorize({
    action: needed.action,
    subject: needed.subject,
    value: needed.value ?? undefined,
    message: approvalMessage(needed.action),
    before: needed.before,
    after: needed.after,
  });
  if (!granted) return false;
  if (getState().order?.uuid !== before.uuid) return false;
  return change(operation, { approval: granted.approval });
}

/** @param {string} note */
export function setNote(note) {
  change((order) => cart.setNote(order, note));
}

// ---------------------------------------------------------------- the sale screen's numpad

/** @param {"qty" | "discount" | "price"} mode */
export function setNumpadMode(mode) {
  setState({ numpad: { mode, buffer: "" } });
}

/**
 * A numpad key on the sale screen: edits the buffer; "OK" applies it to the selected line.
 * @param {string} key  "0".."9", ".", "⌫", "C", "±", "OK"
 */
export function numpadKey(key) {
  const { numpad } = getState();
  if (key === "OK") {
    applyNumpad();
    return;
  }
  setState({ numpad: { ...numpad, buffer: editBuffer(numpad.buffer, key) } });
  if (!currentOrder().selectedLineId) toast(t("Select a line first."), "error");
}

/** Apply the numpad buffer to the selected line (quantity, discount % or price). */
export function applyNumpad() {
  const { numpad, cashier } = getState();
  const order = currentOrder();
  const line = order.lines.find((l) => l.id === order.selectedLineId);
  if (!line || !numpad.buffer || !cashier) return;
  const value =
    numpad.mode === "qty"
      ? parseTyped(numpad.buffer, parseQuantity)
      : numpad.mode === "discount"
        ? parseTyped(numpad.buffer, parseDiscount)
        : typedAmount(numpad.buffer, config().currency_places);
  if (value === null) {
    toast(
      numpad.mode === "qty"
        ? t("{value} is not a valid quantity.", { value: numpad.buffer })
        : numpad.mode === "discount"
          ? t("{value} is not a valid discount.", { value: numpad.buffer })
          : t("{value} is not a valid price.", { value: numpad.buffer }),
      "error",
    );
    return;
  }
  if (numpad.mode === "qty") {
    if (value === 0) {
      toast(t("To drop the line, use Remove."), "error");
      return;
    }
    changeWithRights((o) => cart.setQuantity(o, line.id, value));
    return;
  }
  const discount = numpad.mode === "discount";
  /** @type {(o: OpenOrder, approvedBy: number | null) => cart.Order} */
  const edit = (o, approvedBy) =>
    discount ? cart.setDiscount(o, line.id, value, { approvedBy }) : cart.setPrice(o, line.id, value, { approvedBy });
  // Who approved a restricted price or discount stays on the line: the approver, or the
  // cashier whose role let them do it alone.
  const restricted = restrictedChanges(order, edit(order, null)).length > 0;
  changeWithRights((o, approval) => edit(o, approval ? approval.approver.id : restricted ? cashier.id : null));
}
