// @ts-check
/**
 * Refunds, returns and exchanges at the till (docs/refunds.md): find the original (a scan of
 * its receipt's code, or its receipt number, day or amount), pick lines and quantities up to
 * what is still refundable with a reason, and put the returned lines on the current ticket;
 * *Validate* (flows/payment.js) then writes the REFUND. A return without a receipt (blind)
 * needs a manager; every refund goes through flows/approval.js `authorize`.
 *
 * The original comes from the local index of recent orders (data/db.js), which holds this
 * till's own orders and refunds from their finish on and the store's pulled from the server,
 * so refunds work offline; an order it does not hold is asked of the server.
 */
import { shownAmount, t } from "../domain/i18n.js";
import * as cart from "../domain/cart.js";
import { parseQuantity, typedAmount } from "../domain/money.js";
import { RefundError, defaultTender, recentMatches, refundPicks, refundableLines } from "../domain/refund.js";
import * as data from "../data/db.js";
import { lookupOrder, pullRecentOrders } from "../sync/recent.js";
import { emit } from "../state/events.js";
import { getState, setState } from "../state/store.js";
import { authorize } from "./approval.js";
import { pairingToken, runtime } from "./context.js";
import { toast } from "./messages.js";
import { change, currentOrder } from "./order.js";
import { openPayment } from "./payment.js";

/** @typedef {import("../domain/refund.js").RecentOrder} RecentOrder */

/**
 * @typedef {object} RefundState   the refund screen's
 * @property {string} text          receipt number typed or scanned
 * @property {string} day           YYYY-MM-DD
 * @property {string} amount        a total, as typed
 * @property {RecentOrder[]} results
 * @property {RecentOrder | null} original
 * @property {RecentOrder[]} refunds  the refunds of the original known to this till
 * @property {Record<number, number>} picks  line position → quantity (thousandths)
 * @property {string} reason
 * @property {string} message       why the original cannot be refunded, or what was not found
 * @property {boolean} busy
 */

/** The refund screen before anything is searched. @returns {RefundState} */
export function emptyRefund() {
  return {
    text: "",
    day: "",
    amount: "",
    results: [],
    original: null,
    refunds: [],
    picks: {},
    reason: "",
    message: "",
    busy: false,
  };
}

/** @param {Partial<RefundState>} change */
function setRefund(change) {
  setState((s) => ({ refund: { ...(s.refund ?? emptyRefund()), ...change } }));
}

/** The refund screen (sale screen's *Refund* button, menu). */
export function openRefund() {
  const { view } = getState();
  if (view !== "sale" && view !== "refund") {
    toast(t("Finish the payment first, or go back to the order."), "error");
    return;
  }
  setState({ view: "refund", refund: emptyRefund(), menu: false });
}

export function closeRefund() {
  setState({ view: "sale", refund: null });
}

/** The reasons of an action from the back office (`config.reasons`). @param {string} action */
export function reasonsOf(action) {
  return (getState().config?.reasons ?? []).filter((reason) => reason.action === action);
}

/**
 * Search the local index: an exact receipt number opens it (asking the server if the index
 * does not hold it); else the orders matching the end of a number, a day or an amount.
 * @param {{text?: string, day?: string, amount?: string}} query
 */
export async function refundSearch({ text = "", day = "", amount = "" }) {
  const config = getState().config;
  if (!config) return;
  setRefund({ text, day, amount, message: "" });
  const number = text.trim();
  if (number && (await openOriginal({ receiptNumber: number }, { quiet: true }))) return;
  const gross = amount ? typedAmount(amount, config.currency_places) : null;
  if (amount && gross === null) {
    setRefund({ message: t("{value} is not an amount.", { value: amount }) });
    return;
  }
  if (!number && !day && gross === null) return;
  const results = await data.recentSearch(runtime.db, {
    day: day || undefined,
    keep: (order) => recentMatches(order, { text: number, day, gross }),
  });
  setRefund({ results, message: results.length ? "" : t("No order found. Check the number, day or amount.") });
}

/**
 * Open an original for refunding, from the local index or the server.
 * @param {{uuid?: string, receiptNumber?: string}} key
 * @param {{quiet?: boolean}} [options]  quiet: say nothing when not found
 * @returns {Promise<boolean>} whether it was found
 */
export async function openOriginal(key, { quiet = false } = {}) {
  const config = getState().config;
  if (!config) return false;
  const started = performance.now();
  let found = await data.recentFind(runtime.db, key);
  if (!found) {
    const token = await pairingToken();
    if (token) {
      try {
        found = await lookupOrder(token, key, config.currency_places);
        // This till's own refunds of it count too: an unsynced one is not on the server yet.
        if (found)
          found = { order: found.order, refunds: [...found.refunds, ...(await localRefundsOf(found.order.uuid))] };
      } catch (error) {
        if (!quiet)
          setRefund({
            message: t("The server cannot be asked now ({error}); search by day or amount.", { error: String(error) }),
          });
        return false;
      }
    }
  }
  if (!found) {
    if (!quiet)
      setRefund({ message: t("No order {number} in this store.", { number: key.receiptNumber ?? key.uuid ?? "" }) });
    return false;
  }
  try {
    refundableLines(found.order, found.refunds);
  } catch (error) {
    if (error instanceof RefundError) {
      setState({ view: "refund" });
      setRefund({ original: null, message: error.message, results: [] });
      toast(error.message, "error");
      return true;
    }
    throw error;
  }
  const reasons = reasonsOf("REFUND");
  setState({ view: "refund" });
  setRefund({
    original: found.order,
    refunds: found.refunds,
    picks: {},
    reason: reasons[0]?.code ?? "",
    results: [],
    message: "",
  });
  performance.measure("kassa:refund-filled", { start: started });
  emit("refund.opened", { original: found.order });
  return true;
}

/** This till's refunds of an order in the index (by their `original`). @param {string} uuid */
async function localRefundsOf(uuid) {
  return data.recentRefundsOf(runtime.db, uuid);
}

/**
 * A scan that is no product: the code on a receipt (its number) opens its refund.
 * @param {string} code
 * @returns {Promise<boolean>} whether it was a receipt of this store
 */
export async function refundFromScan(code) {
  return openOriginal({ receiptNumber: code.trim() }, { quiet: true });
}

/**
 * How much of a line to refund (thousandths; 0 drops it), up to what is left.
 * @param {number} position
 * @param {number} quantity
 */
export function setPick(position, quantity) {
  const { refund } = getState();
  if (!refund?.original) return;
  const entry = refundableLines(refund.original, refund.refunds).find((line) => line.line.position === position);
  if (!entry) return;
  if (quantity > entry.left) {
    toast(
      t("{name}: only {quantity} left to refund.", { name: entry.line.name, quantity: formatQuantity(entry.left) }),
      "error",
    );
    return;
  }
  const picks = { ...refund.picks };
  if (quantity > 0) picks[position] = quantity;
  else delete picks[position];
  setRefund({ picks });
}

/** @param {number} milli */
function formatQuantity(milli) {
  return String(milli / 1000);
}

/** @param {string} reason */
export function setRefundReason(reason) {
  setRefund({ reason });
}

/**
 * Put the picked lines on the ticket as returned lines, once `authorize` allows the refund
 * of their amount; a refund alone goes on to the payment screen with the original's tender
 * (or the first one allowed for refunds) paying it out.
 */
export async function confirmRefund() {
  const { refund, config } = getState();
  if (!refund?.original || !config) return;
  const picked = Object.entries(refund.picks).map(([position, quantity]) => ({
    position: Number(position),
    quantity,
    reason: refund.reason,
  }));
  if (!picked.length) {
    toast(t("Pick the lines to refund first."), "error");
    return;
  }
  if (!refund.reason && reasonsOf("REFUND").length) {
    toast(t("Choose a reason."), "error");
    return;
  }
  /** @type {ReturnType<typeof refundPicks>} */
  let picks;
  try {
    picks = refundPicks(refund.original, refund.refunds, picked);
  } catch (error) {
    toast(error instanceof Error ? error.message : String(error), "error");
    return;
  }
  const amount = picks.reduce((sum, pick) => sum + pick.amounts.gross, 0);
  const order = currentOrder();
  const granted = await authorize({
    action: "REFUND",
    subject: { kind: "order", order: order.uuid },
    value: amount,
    reason: refund.reason || null,
    message: t("A refund of {amount} of receipt {number}.", {
      amount: shownAmount(amount, config.currency, config.currency_places),
      number: refund.original.receiptNumber,
    }),
  });
  if (!granted) return;
  const original = refund.original;
  const ok = change((o) =>
    cart.addReturnedLines(
      o,
      { uuid: original.uuid, receiptNumber: original.receiptNumber, at: original.createdAt },
      picks,
      {
        approval: granted.approval?.id ?? null,
      },
    ),
  );
  if (!ok) return;
  setState({ view: "sale", refund: null });
  const ticket = currentOrder();
  if (cart.orderKind(ticket) !== "refund") return; // an exchange: the new lines come next
  const tender = defaultTender(original, refundMethods());
  const method = getState().methods.find((m) => m.id === tender);
  if (method) change((o) => cart.addPayment(o, { method, amount: cart.amountDue(o) }));
  openPayment();
}

/**
 * The payment methods a refund may be paid out in: the terminal's setting
 * (`refund_method_ids`), else all.
 * @returns {import("../state/store.js").PaymentMethod[]}
 */
export function refundMethods() {
  const { methods, config } = getState();
  const allowed = config?.refund_method_ids;
  return allowed ? methods.filter((m) => allowed.includes(m.id)) : methods;
}

/**
 * A return without a receipt: a manager approves it (flows/approval.js BLIND_RETURN), then
 * the products scanned or picked go on the ticket as returned, priced from the catalog (or
 * typed), with the reason, until the ticket is paid or the mode is left.
 * @param {string} reason
 */
export async function startBlindReturn(reason) {
  const order = currentOrder();
  const granted = await authorize({
    action: "BLIND_RETURN",
    subject: { kind: "order", order: order.uuid },
    reason,
    message: t("A return without a receipt needs a manager."),
  });
  if (!granted) return;
  const { cashier } = getState();
  const approver = granted.approval?.approver.id ?? cashier?.id ?? null;
  setState({
    view: "sale",
    refund: null,
    returnMode: { reason, approvedBy: approver, approval: granted.approval?.id ?? null },
  });
  toast(t("Return without receipt: scan or pick the items brought back."), "info");
}

/** Leave the blind-return mode (the next products are sold again). */
export function endBlindReturn() {
  setState({ returnMode: null });
}

/**
 * While online, pull the store's recent orders into the local index (at most every 30 s).
 * Called after each of the sync loop's attempts.
 * @param {boolean} online
 */
export async function pullRecent(online) {
  const { config } = getState();
  if (!online || !config || Date.now() - lastPull < PULL_EVERY_MS) return;
  lastPull = Date.now();
  const token = await pairingToken();
  if (!token) return;
  await pullRecentOrders(runtime.db, token, {
    places: config.currency_places,
    days: config.recent_order_days ?? 30,
  }).catch((error) => console.warn("recent orders", error?.message ?? error));
}

const PULL_EVERY_MS = 30_000;
let lastPull = 0;

/** The quantity typed for a line in the refund screen, or null. @param {string} text */
export function typedQuantity(text) {
  try {
    return parseQuantity(text);
  } catch {
    return null;
  }
}
