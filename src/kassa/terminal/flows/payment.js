// @ts-check
/**
 * Payment and finish: the payment screen, payments, *Validate* (the order durably finished
 * before anything is shown as done), the receipt screen and *Print again*.
 *
 * The one rule that matters most: an order is shown as done only after data/db.js
 * `orderFinish` resolved, i.e. after its outbox entry committed with strict durability.
 */
import { t } from "../domain/i18n.js";
import * as cart from "../domain/cart.js";
import { typedAmount } from "../domain/money.js";
import { editUnsigned } from "../domain/numpad.js";
import { SOFTWARE, duplicatePayload, refundPayload, salePayload } from "../domain/journal.js";
import { buildReceipt } from "../domain/receipt.js";
import { recentFromOrder } from "../domain/refund.js";
import * as data from "../data/db.js";
import { emit } from "../state/events.js";
import { getState, setState } from "../state/store.js";
import { approvalGiven } from "./approval.js";
import { channel, runtime } from "./context.js";
import { journalChanged, journalContext, record } from "./journal.js";
import { toast } from "./messages.js";
import { change, currentOrder, finished, newOrder, ordersWritten, productRef } from "./order.js";

/** @typedef {import("../state/store.js").KeptReceipt} KeptReceipt */

export function openPayment() {
  const order = currentOrder();
  if (!cart.hasLines(order)) {
    toast(t("The order is empty."), "error");
    return;
  }
  setState({ view: "payment", payBuffer: "" });
  emit("payment.screen", { order });
}

export function closePayment() {
  setState({ view: "sale" });
}

/** @param {string} key */
export function payKey(key) {
  setState({ payBuffer: editUnsigned(getState().payBuffer ?? "", key) });
}

/**
 * Pay with a method: the typed amount, or what is still due.
 * @param {import("../state/store.js").PaymentMethod} method
 * @param {number} [amount] minor units
 */
export function pay(method, amount) {
  const { payBuffer, config } = getState();
  let value = amount;
  if (value === undefined) {
    if (payBuffer) {
      const typed = config ? typedAmount(payBuffer, config.currency_places) : null;
      if (typed === null) {
        toast(t("{value} is not an amount.", { value: payBuffer }), "error");
        return;
      }
      // On a refund the cashier types what goes out, as a positive amount.
      value = cart.totals(currentOrder()).gross < 0 ? -typed : typed;
    } else {
      value = cart.amountDue(currentOrder());
    }
  }
  if (!value) {
    toast(t("Nothing left to pay."), "error");
    return;
  }
  if (cart.totals(currentOrder()).gross < 0 && !refundAllowed(method.id)) {
    toast(t("A refund cannot be paid out in {method} on this till.", { method: method.name }), "error");
    return;
  }
  const paying = value;
  if (change((o) => cart.addPayment(o, { method, amount: paying }))) setState({ payBuffer: "" });
}

/**
 * Whether a refund may be paid out in a method: the terminal's setting, else every method.
 * @param {number} methodId
 */
export function refundAllowed(methodId) {
  const allowed = getState().config?.refund_method_ids;
  return !allowed || allowed.includes(methodId);
}

/** @param {string} paymentId */
export function removePayment(paymentId) {
  change((order) => cart.removePayment(order, paymentId));
}

/**
 * Finish the order: receipt number, outbox entry, session totals and receipt, in one
 * durable transaction; only then the receipt screen.
 */
export async function validate() {
  const state = getState();
  const { order, session, cashier, config, methods } = state;
  if (state.busy || !order || !session || !cashier || !config || !cart.isFullyPaid(order)) return;
  setState({ busy: true });
  const validated = performance.now(); // bench/journal_append.py: Validate to the commit
  // A close started in another tab of this till stops new sales here too.
  const stored = await data.getSession(runtime.db, session.uuid);
  if (stored && stored.state !== "open") {
    if (stored.state === "closing") setState({ busy: false, session: stored, view: "close" });
    else setState({ busy: false, session: null, cashier: null, phase: "login", view: "sale" });
    toast(t("The cash session is closed or being closed on this till: no new sale in it."), "error");
    return;
  }
  try {
    await ordersWritten(); // no save of this order may land after the finish
    finished.add(order.uuid);
    const createdAt = cart.localIsoString(new Date());
    /** @type {KeptReceipt | null} */
    let receipt = null;
    /** @type {cart.SyncPayload | null} */
    let payload = null;
    const result = await data.orderFinish(runtime.db, {
      prefix: config.receipt_prefix,
      orderUuid: order.uuid,
      sessionUuid: session.uuid,
      createdAt,
      journal: journalContext(),
      // Runs again if another tab takes the number first (data/db.js orderFinish).
      build: (/** @type {string} */ receiptNumber, /** @type {import("../domain/journal.js").Head} */ head) => {
        const stamped = cart.stampOrder(order, { receiptNumber, createdAt });
        // A refund keeps its approval's id (order.approval): the server wants the
        // approval itself with the order (docs/permissions.md).
        const refundApproval = approvalGiven(stamped.approval);
        const approved =
          refundApproval && !(stamped.approvals ?? []).some((a) => a.id === refundApproval.id)
            ? { ...stamped, approvals: [...(stamped.approvals ?? []), refundApproval] }
            : stamped;
        payload = cart.toSyncPayload(approved, {
          sessionUuid: session.uuid,
          cashierId: cashier.id,
          // The role the till judged the cashier's changes by (docs/permissions.md).
          cashierRole: cashier.permissions ? { code: cashier.role, revision: cashier.role_revision ?? 0 } : null,
        });
        // Owed from this very transaction on when the till has a printer proxy: a crash
        // right after it still knows the customer's receipt is to print (hardware/proxy.js).
        receipt = {
          ...buildReceipt(stamped, { config, cashier: cashier.name, methods }),
          print: { owed: Boolean(config.proxy_url) },
        };
        const names = new Map(methods.map((method) => [method.id, method.name]));
        // A ticket with returned lines (a refund, a blind return, an exchange) is a REFUND.
        const type = cart.orderKind(stamped) === "sale" ? "SALE" : "REFUND";
        const entry = (type === "SALE" ? salePayload : refundPayload)(stamped, {
          session: session.uuid,
          head,
          methods: names,
          refOf: productRef,
        });
        return {
          payload,
          receipt,
          software: SOFTWARE,
          sale: { type, payload: entry.payload, grand: { gt: entry.gt, gtAbs: entry.gtAbs }, order: order.uuid },
          recent: recentFromOrder(stamped),
        };
      },
      updateSession: (/** @type {import("../state/store.js").CashSession} */ stored) => ({
        ...stored,
        cashIn: stored.cashIn + cart.cashPaid(order),
        changeOut: stored.changeOut + cart.change(order),
        orders: stored.orders + 1,
        sales: stored.sales + cart.totals(order).gross,
      }),
    });
    performance.measure("kassa:validate-commit", { start: validated });
    // The receipt as kept: with its journal entry (seq, hash, software), printed on it.
    const kept = /** @type {KeptReceipt} */ (result.receipt ?? receipt);
    const { openOrders } = getState();
    setState({
      busy: false,
      session: result.session,
      view: "receipt",
      receipt: { ...kept, receiptNumber: result.receiptNumber },
      order: newOrder(),
      openOrders,
      search: "",
      returnMode: null,
    });
    journalChanged(); // wakes the sync loop: the order and its SALE go out, the mirror gets it
    channel?.postMessage({ type: "orders" });
    emit("order.validated", {
      order,
      receipt: kept,
      payload: /** @type {cart.SyncPayload} */ (/** @type {unknown} */ (payload)),
    });
  } catch (error) {
    finished.delete(order.uuid);
    setState({ busy: false });
    toast(t("The order could not be stored: {error}", { error: String(error) }), "error");
  }
}

/** The receipt screen's "New order". */
export function receiptDone() {
  setState({ view: "sale", receipt: null });
  emit("receipt.done", {});
}

/** Show the last receipt again (menu). */
export async function showLastReceipt() {
  const receipt = await data.getReceipt(runtime.db);
  if (!receipt) {
    toast(t("No receipt yet."), "info");
    return;
  }
  setState({ view: "receipt", receipt, menu: false });
}

/**
 * *Print again*. A receipt whose first print is still owed prints as the original; any
 * other is a copy: the journal records a DUPLICATE first, and the copy carries that
 * entry's seq and hash (it prints DUPLICATE with them). No entry, no copy.
 * @param {KeptReceipt} receipt
 */
export async function reprint(receipt) {
  let printed = receipt;
  const kept = await data.getReceipt(runtime.db, receipt.uuid);
  const original = Boolean(kept?.print?.owed) && getState().hw?.prints?.[receipt.uuid]?.state !== "failed";
  if (!original) {
    try {
      const { sealed } = await record([
        { type: "DUPLICATE", payload: duplicatePayload(receipt.uuid, receipt.receiptNumber) },
      ]);
      const entry = sealed[sealed.length - 1];
      printed = { ...receipt, journal: { seq: entry.seq, hash: entry.hash, software: SOFTWARE } };
      // The screen previews the paper that came out last: the copy, with its entry.
      if (getState().receipt?.uuid === receipt.uuid) setState({ receipt: printed });
    } catch (error) {
      toast(
        t("The copy was not printed: the journal could not record it ({error}).", { error: String(error) }),
        "error",
      );
      return;
    }
  }
  emit("receipt.reprint", { receipt: printed });
  // Without a hardware proxy the browser's print dialog prints the receipt.
  if (!getState().config?.proxy_url) window.print();
}
