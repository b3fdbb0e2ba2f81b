// @ts-check
/**
 * The event bus: what happens at the till, for whoever wants to react to it. The flows
 * publish what the cashier did; the device adapter (hardware/proxy.js) listens to drive the
 * printer, display and drawer, and publishes what the devices did (a scan) for the screens
 * to take. Neither side imports the other.
 *
 * Events and their detail:
 * - `terminal.ready`  {config}                  configuration loaded (again after a refresh)
 * - `line.added`      {order, line}             a product was added (tile, search or scan)
 * - `order.changed`   {order}                   anything in the current order changed
 * - `payment.screen`  {order}                   the payment screen opened (total to pay)
 * - `order.validated` {order, receipt, payload} the order is durably queued; receipt shown
 * - `receipt.reprint` {receipt}
 * - `receipt.done`    {}                        the receipt screen's "New order"
 * - `session.opened`  {session}, `session.closed` {session}
 * - `scan.error`      {code, message}           a scan that adds nothing (misread, unknown)
 * - `scan.received`   {code, source}            a scan from a device (the proxy's scanner);
 *                                               ui/scanner.js hands it to the screen on top
 *
 * A listener that throws does not stop the sale: the error is logged and the next one runs.
 */

/**
 * @typedef {import("./store.js").OpenOrder} OpenOrder
 * @typedef {{
 *   "terminal.ready": {config: import("./store.js").TerminalConfig | null},
 *   "line.added": {order: OpenOrder, line: import("../domain/cart.js").Line | undefined},
 *   "order.changed": {order: OpenOrder},
 *   "payment.screen": {order: OpenOrder},
 *   "order.validated": {order: OpenOrder, receipt: import("./store.js").KeptReceipt, payload: import("../domain/cart.js").SyncPayload},
 *   "receipt.reprint": {receipt: import("./store.js").KeptReceipt},
 *   "receipt.done": {},
 *   "session.opened": {session: import("./store.js").CashSession},
 *   "session.closed": {session: import("./store.js").CashSession},
 *   "scan.error": {code: string, message: string},
 *   "scan.received": {code: string, source: string},
 *   "refund.opened": {original: import("../domain/refund.js").RecentOrder},
 * }} Events
 */

/** @type {Map<string, Set<(detail: any) => void>>} */
const listeners = new Map();

/**
 * @template {keyof Events} K
 * @param {K} type
 * @param {(detail: Events[K]) => void} listener
 * @returns {() => void} unsubscribe
 */
export function on(type, listener) {
  const set = listeners.get(type) ?? new Set();
  listeners.set(type, set);
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * @template {keyof Events} K
 * @param {K} type
 * @param {Events[K]} detail
 */
export function emit(type, detail) {
  for (const listener of listeners.get(type) ?? []) {
    try {
      listener(detail);
    } catch (error) {
      console.error(`listener for ${type} failed`, error);
    }
  }
}
